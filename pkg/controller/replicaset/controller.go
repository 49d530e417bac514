package replicaset

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/kubectl/pkg/util/podutils"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "replicaset-controller"

// burstReplicas is the most pods one sync creates or deletes, upstream's
// BurstReplicas.
const burstReplicas = 500

var kind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")

// Controller keeps ReplicaSets' pods.
type Controller struct {
	client       kubernetes.Interface
	sets         appslisters.ReplicaSetLister
	pods         corelisters.PodLister
	expectations *expectations.Expectations
	events       *events.Recorder
	podControl   podcontrol.Control
	loop         workers.Loop[string]
	now          func() time.Time
}

// New returns a controller that watches ReplicaSets and pods through
// factory; the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	sets := factory.Apps().V1().ReplicaSets()
	pods := factory.Core().V1().Pods()
	c := &Controller{
		client:       client,
		sets:         sets.Lister(),
		pods:         pods.Lister(),
		expectations: expectations.New(),
		events:       events.New(client, Name),
		now:          time.Now,
	}
	c.podControl = podcontrol.Control{Client: client, Events: c.events}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	synced, err := eventhandlers.Add(
		eventhandlers.For("replicaset", sets.TypedInformer(), appsinformers.ReplicaSetHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, rs *appsv1.ReplicaSet) { c.enqueue(rs) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.ReplicaSet]) {
				c.expectations.Forget(d.GetKey())
				c.loop.Queue.Add(d.GetKey())
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    c.addPod,
			UpdateFunc: c.updatePod,
			DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
				if d.OptionalObj != nil {
					c.podGone(d.OptionalObj)
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
			ErrorMessage: "Error syncing ReplicaSet", ItemKey: "replicaSet",
		},
		Name: Name, Title: "replicaset controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run syncs ReplicaSets with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(rs *appsv1.ReplicaSet) {
	if key, err := cache.MetaNamespaceKeyFunc(rs); err == nil {
		c.loop.Queue.Add(key)
	}
}

// owner is the ReplicaSet that controls pod, if the cache has it.
func (c *Controller) owner(pod *corev1.Pod) *appsv1.ReplicaSet {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return nil
	}
	rs, err := c.sets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// selecting are the ReplicaSets that select an orphan pod, which may
// adopt it.
func (c *Controller) selecting(pod *corev1.Pod) []*appsv1.ReplicaSet {
	all, err := c.sets.ReplicaSets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []*appsv1.ReplicaSet
	for _, rs := range all {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			out = append(out, rs)
		}
	}
	return out
}

func (c *Controller) addPod(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		// A restarted controller sees a pod already being deleted.
		c.podGone(pod)
		return
	}
	if rs := c.owner(pod); rs != nil {
		key, _ := cache.MetaNamespaceKeyFunc(rs)
		c.expectations.Created(key)
		c.loop.Queue.Add(key)
		return
	}
	if metav1.GetControllerOfNoCopy(pod) == nil {
		for _, rs := range c.selecting(pod) {
			c.enqueue(rs)
		}
	}
}

func (c *Controller) updatePod(old, pod *corev1.Pod) {
	if old.ResourceVersion == pod.ResourceVersion {
		return
	}
	if pod.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
		c.podGone(pod)
	}
	oldRef, ref := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(pod)
	if oldRef != nil && (ref == nil || oldRef.UID != ref.UID) {
		if rs := c.owner(old); rs != nil {
			c.enqueue(rs)
		}
	}
	if rs := c.owner(pod); rs != nil {
		c.enqueue(rs)
		// A pod that just became ready is available minReadySeconds later.
		if rs.Spec.MinReadySeconds > 0 && !podutils.IsPodReady(old) && podutils.IsPodReady(pod) {
			key, _ := cache.MetaNamespaceKeyFunc(rs)
			c.loop.Queue.AddAfter(key, time.Duration(rs.Spec.MinReadySeconds)*time.Second+time.Second)
		}
		return
	}
	if ref == nil {
		for _, rs := range c.selecting(pod) {
			c.enqueue(rs)
		}
	}
}

// podGone records that a pod is deleted or being deleted.
func (c *Controller) podGone(pod *corev1.Pod) {
	rs := c.owner(pod)
	if rs == nil {
		return
	}
	key, _ := cache.MetaNamespaceKeyFunc(rs)
	podKey, _ := cache.MetaNamespaceKeyFunc(pod)
	c.expectations.Deleted(key, podKey)
	c.loop.Queue.Add(key)
}

// errorf is an error of a sync, naming its ReplicaSet.
func errorf(rs *appsv1.ReplicaSet, format string, args ...any) error {
	return fmt.Errorf("replicaset %s/%s: %w", rs.Namespace, rs.Name, fmt.Errorf(format, args...))
}
