package replicaset

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podowners"
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
	owners       podowners.Owners[*appsv1.ReplicaSet]
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
	c.owners = podowners.Owners[*appsv1.ReplicaSet]{
		Kind:            kind,
		Get:             func(ns, name string) (*appsv1.ReplicaSet, error) { return c.sets.ReplicaSets(ns).Get(name) },
		List:            func(ns string) ([]*appsv1.ReplicaSet, error) { return c.sets.ReplicaSets(ns).List(labels.Everything()) },
		Selector:        func(rs *appsv1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector },
		MinReadySeconds: func(rs *appsv1.ReplicaSet) int32 { return rs.Spec.MinReadySeconds },
		Expectations:    c.expectations,
		Queue:           func() workqueue.TypedRateLimitingInterface[string] { return c.loop.Queue },
	}
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
		eventhandlers.For("pod", pods.TypedInformer(), c.owners.PodHandlers()),
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

// errorf is an error of a sync, naming its ReplicaSet.
func errorf(rs *appsv1.ReplicaSet, format string, args ...any) error {
	return fmt.Errorf("replicaset %s/%s: %w", rs.Namespace, rs.Name, fmt.Errorf(format, args...))
}
