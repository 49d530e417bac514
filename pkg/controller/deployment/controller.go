package deployment

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "deployment-controller"

var (
	kind   = appsv1.SchemeGroupVersion.WithKind("Deployment")
	rsKind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
)

// Controller rolls out Deployments.
type Controller struct {
	client      kubernetes.Interface
	deployments appslisters.DeploymentLister
	sets        appslisters.ReplicaSetLister
	pods        corelisters.PodLister
	events      *events.Recorder
	loop        workers.Loop[string]
	now         func() time.Time
}

// New returns a controller that watches Deployments, ReplicaSets and pods
// through factory; the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	deployments := factory.Apps().V1().Deployments()
	sets := factory.Apps().V1().ReplicaSets()
	pods := factory.Core().V1().Pods()
	c := &Controller{
		client:      client,
		deployments: deployments.Lister(),
		sets:        sets.Lister(),
		pods:        pods.Lister(),
		events:      events.New(client, Name),
		now:         time.Now,
	}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	synced, err := eventhandlers.Add(
		eventhandlers.For("deployment", deployments.TypedInformer(), appsinformers.DeploymentHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, d *appsv1.Deployment) { c.enqueue(d) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.Deployment]) { c.loop.Queue.Add(d.GetKey()) },
		}),
		eventhandlers.For("replicaset", sets.TypedInformer(), appsinformers.ReplicaSetHandlerFuncs{
			AddFunc: c.replicaSetChanged,
			UpdateFunc: func(old, rs *appsv1.ReplicaSet) {
				if oldRef, ref := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(rs); oldRef != nil && (ref == nil || ref.UID != oldRef.UID) {
					c.replicaSetChanged(old)
				}
				c.replicaSetChanged(rs)
			},
			DeleteFunc: func(d cache.DeletedObject[*appsv1.ReplicaSet]) {
				if d.OptionalObj != nil {
					c.replicaSetChanged(d.OptionalObj)
				}
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			// Recreate waits for the old pods to go.
			DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
				if d.OptionalObj == nil {
					return
				}
				if dep := c.podOwner(d.OptionalObj); dep != nil && dep.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
					c.enqueue(dep)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: queue, Sync: c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing deployment", ItemKey: "deployment",
		},
		Name: Name, Title: "deployment controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run rolls out Deployments with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(d *appsv1.Deployment) {
	if key, err := cache.MetaNamespaceKeyFunc(d); err == nil {
		c.loop.Queue.Add(key)
	}
}

// ownerOf is the Deployment that controls obj, if the cache has it.
func (c *Controller) ownerOf(namespace string, ref *metav1.OwnerReference) *appsv1.Deployment {
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return nil
	}
	d, err := c.deployments.Deployments(namespace).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return nil
	}
	return d
}

// replicaSetChanged queues the ReplicaSet's Deployment or, for an orphan,
// those that select it and may adopt it.
func (c *Controller) replicaSetChanged(rs *appsv1.ReplicaSet) {
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.ownerOf(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
		return
	}
	all, err := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range all {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			c.enqueue(d)
		}
	}
}

// podOwner is the Deployment of the ReplicaSet that controls pod.
func (c *Controller) podOwner(pod *corev1.Pod) *appsv1.Deployment {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != rsKind.Kind {
		return nil
	}
	rs, err := c.sets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	return c.ownerOf(rs.Namespace, metav1.GetControllerOfNoCopy(rs))
}

// sync rolls one Deployment forward, in upstream's order: claim its
// ReplicaSets, then status only if it is being deleted, pause conditions,
// scaling only if paused or resized, else the strategy's rollout.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d := cached.DeepCopy()
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || selector.Empty() {
		c.events.Eventf(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			_, err = c.client.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
		return err
	}
	sets, err := c.claim(ctx, d, selector)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		newRS, old, err := c.replicaSets(ctx, d, sets, false)
		if err != nil {
			return err
		}
		return c.syncStatusOnly(ctx, append(old, newRS), newRS, d)
	}
	if d, err = c.checkPaused(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused || isScaling(d, sets) {
		newRS, old, err := c.replicaSets(ctx, d, sets, false)
		if err != nil {
			return err
		}
		if err := c.scale(ctx, d, newRS, old); err != nil {
			return err
		}
		if d.Spec.Paused {
			if err := c.cleanup(ctx, old, d); err != nil {
				return err
			}
		}
		return c.syncStatusOnly(ctx, append(old, newRS), newRS, d)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		pods, err := c.podsByReplicaSet(d, sets)
		if err != nil {
			return err
		}
		return c.recreate(ctx, d, sets, pods)
	}
	return c.rolling(ctx, d, sets)
}

// claim returns the ReplicaSets d controls after adopting and releasing.
func (c *Controller) claim(ctx context.Context, d *appsv1.Deployment, selector labels.Selector) ([]*appsv1.ReplicaSet, error) {
	all, err := c.sets.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	return ownership.Claim(ctx, ownership.Owner{
		Object: d, Kind: kind, Selector: selector,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := c.client.AppsV1().ReplicaSets(d.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		StillOwner: func(ctx context.Context) error {
			fresh, err := c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != d.UID || fresh.DeletionTimestamp != nil {
				return apierrors.NewConflict(appsv1.Resource("deployments"), d.Name, errReplaced)
			}
			return nil
		},
	}, all)
}

// podsByReplicaSet groups the pods of d's ReplicaSets by ReplicaSet UID,
// for Recreate to wait on.
func (c *Controller) podsByReplicaSet(d *appsv1.Deployment, sets []*appsv1.ReplicaSet) (map[string][]*corev1.Pod, error) {
	pods, err := c.pods.Pods(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	ours := map[types.UID]bool{}
	for _, rs := range sets {
		ours[rs.UID] = true
	}
	out := map[string][]*corev1.Pod{}
	for _, p := range pods {
		if ref := metav1.GetControllerOfNoCopy(p); ref != nil && ours[ref.UID] {
			out[string(ref.UID)] = append(out[string(ref.UID)], p)
		}
	}
	return out, nil
}
