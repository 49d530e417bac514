package statefulset

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podowners"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "statefulset-controller"

// maxBatch is the most creates or deletes a Parallel sync has in flight
// at once, upstream's MaxBatchSize.
const maxBatch = 500

var kind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// Controller keeps StatefulSets' pods, claims and revisions.
type Controller struct {
	client       kubernetes.Interface
	sets         appslisters.StatefulSetLister
	pods         corelisters.PodLister
	claims       corelisters.PersistentVolumeClaimLister
	revisionList appslisters.ControllerRevisionLister
	expectations *expectations.Expectations
	events       *events.Recorder
	owners       podowners.Owners[*appsv1.StatefulSet]
	loop         workers.Loop[string]
	now          func() time.Time
}

// New returns a controller that watches StatefulSets, their pods, claims
// and revisions through factory; the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	sets := factory.Apps().V1().StatefulSets()
	revisions := factory.Apps().V1().ControllerRevisions()
	pods := factory.Core().V1().Pods()
	claims := factory.Core().V1().PersistentVolumeClaims()
	c := &Controller{
		client:       client,
		sets:         sets.Lister(),
		pods:         pods.Lister(),
		claims:       claims.Lister(),
		revisionList: revisions.Lister(),
		expectations: expectations.New(),
		events:       events.New(client, Name),
		now:          time.Now,
	}
	c.owners = podowners.Owners[*appsv1.StatefulSet]{
		Kind: kind,
		Get:  func(ns, name string) (*appsv1.StatefulSet, error) { return c.sets.StatefulSets(ns).Get(name) },
		List: func(ns string) ([]*appsv1.StatefulSet, error) {
			return c.sets.StatefulSets(ns).List(labels.Everything())
		},
		Selector:        func(set *appsv1.StatefulSet) *metav1.LabelSelector { return set.Spec.Selector },
		MinReadySeconds: func(set *appsv1.StatefulSet) int32 { return set.Spec.MinReadySeconds },
		Expectations:    c.expectations,
		Queue:           func() workqueue.TypedRateLimitingInterface[string] { return c.loop.Queue },
	}
	enqueueOwner := func(obj metav1.Object) { c.owners.EnqueueOwner(obj) }
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	synced, err := eventhandlers.Add(
		eventhandlers.For("statefulset", sets.TypedInformer(), appsinformers.StatefulSetHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, set *appsv1.StatefulSet) { c.enqueue(set) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.StatefulSet]) {
				c.expectations.Forget(d.GetKey())
				c.loop.Queue.Add(d.GetKey())
			},
		}),
		eventhandlers.For("controllerrevision", revisions.TypedInformer(), appsinformers.ControllerRevisionHandlerFuncs{
			AddFunc:    func(r *appsv1.ControllerRevision) { enqueueOwner(r) },
			UpdateFunc: func(_, r *appsv1.ControllerRevision) { enqueueOwner(r) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.ControllerRevision]) {
				if d.OptionalObj != nil {
					enqueueOwner(d.OptionalObj)
				}
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), c.owners.PodHandlers()),
		// A claim that changes or goes may unblock a pod waiting for it.
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			AddFunc:    func(pvc *corev1.PersistentVolumeClaim) { enqueueOwner(pvc) },
			UpdateFunc: func(_, pvc *corev1.PersistentVolumeClaim) { enqueueOwner(pvc) },
			DeleteFunc: func(d cache.DeletedObject[*corev1.PersistentVolumeClaim]) {
				if d.OptionalObj != nil {
					enqueueOwner(d.OptionalObj)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: queue, Sync: c.sync, Expected: lostRace,
			ErrorMessage: "Error syncing StatefulSet", ItemKey: "statefulSet",
		},
		Name: Name, Title: "stateful set controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run syncs StatefulSets with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(set *appsv1.StatefulSet) {
	if key, err := cache.MetaNamespaceKeyFunc(set); err == nil {
		c.loop.Queue.Add(key)
	}
}

// lostRace tells the errors of a sync that acted on a cache behind the
// API server: a conflict, an object gone, a pod already made.
func lostRace(err error) bool { return workers.LostRace(err) || apierrors.IsAlreadyExists(err) }

// errorf is an error of a sync, naming its StatefulSet.
func errorf(set *appsv1.StatefulSet, format string, args ...any) error {
	return fmt.Errorf("stateful set %s/%s: %w", set.Namespace, set.Name, fmt.Errorf(format, args...))
}
