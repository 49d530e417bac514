package daemonset

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
	"k8s.io/client-go/util/flowcontrol"
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
const Name = "daemonset-controller"

// burstReplicas is the most pods one sync creates or deletes, upstream's
// BurstReplicas for DaemonSets.
const burstReplicas = 250

// The back-off between replacements of a failed daemon pod on one node,
// upstream's: a kubelet that keeps rejecting the pod is not fought in a
// hot loop.
const (
	failedPodsBackoffInitial = time.Second
	failedPodsBackoffMax     = 15 * time.Minute
)

var kind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// Controller keeps DaemonSets' pods and revisions.
type Controller struct {
	client       kubernetes.Interface
	sets         appslisters.DaemonSetLister
	pods         corelisters.PodLister
	nodes        corelisters.NodeLister
	revisions    appslisters.ControllerRevisionLister
	expectations *expectations.Expectations
	events       *events.Recorder
	podControl   podcontrol.Control
	owners       podowners.Owners[*appsv1.DaemonSet]
	failedPods   *flowcontrol.Backoff
	loop         workers.Loop[string]
	now          func() time.Time
}

// New returns a controller that watches DaemonSets, their pods and
// revisions, and nodes through factory; the caller starts factory and
// calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	sets := factory.Apps().V1().DaemonSets()
	revisions := factory.Apps().V1().ControllerRevisions()
	pods := factory.Core().V1().Pods()
	nodes := factory.Core().V1().Nodes()
	c := &Controller{
		client:       client,
		sets:         sets.Lister(),
		pods:         pods.Lister(),
		nodes:        nodes.Lister(),
		revisions:    revisions.Lister(),
		expectations: expectations.New(),
		events:       events.New(client, Name),
		failedPods:   flowcontrol.NewBackOff(failedPodsBackoffInitial, failedPodsBackoffMax),
		now:          time.Now,
	}
	c.podControl = podcontrol.Control{Client: client, Events: c.events}
	c.owners = podowners.Owners[*appsv1.DaemonSet]{
		Kind:            kind,
		Get:             func(ns, name string) (*appsv1.DaemonSet, error) { return c.sets.DaemonSets(ns).Get(name) },
		List:            func(ns string) ([]*appsv1.DaemonSet, error) { return c.sets.DaemonSets(ns).List(labels.Everything()) },
		Selector:        func(ds *appsv1.DaemonSet) *metav1.LabelSelector { return ds.Spec.Selector },
		MinReadySeconds: func(ds *appsv1.DaemonSet) int32 { return ds.Spec.MinReadySeconds },
		Expectations:    c.expectations,
		Queue:           func() workqueue.TypedRateLimitingInterface[string] { return c.loop.Queue },
	}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	synced, err := eventhandlers.Add(
		eventhandlers.For("daemonset", sets.TypedInformer(), appsinformers.DaemonSetHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, ds *appsv1.DaemonSet) { c.enqueue(ds) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.DaemonSet]) {
				c.expectations.Forget(d.GetKey())
				c.loop.Queue.Add(d.GetKey())
			},
		}),
		eventhandlers.For("controllerrevision", revisions.TypedInformer(), appsinformers.ControllerRevisionHandlerFuncs{
			AddFunc:    func(r *appsv1.ControllerRevision) { c.owners.EnqueueOwner(r) },
			UpdateFunc: func(_, r *appsv1.ControllerRevision) { c.owners.EnqueueOwner(r) },
			DeleteFunc: func(d cache.DeletedObject[*appsv1.ControllerRevision]) {
				if d.OptionalObj != nil {
					c.owners.EnqueueOwner(d.OptionalObj)
				}
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), c.owners.PodHandlers()),
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{
			AddFunc:    func(*corev1.Node) { c.enqueueAll() },
			UpdateFunc: c.updateNode,
			DeleteFunc: func(cache.DeletedObject[*corev1.Node]) { c.enqueueAll() },
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: queue, Sync: c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing daemon set", ItemKey: "daemonSet",
		},
		Name: Name, Title: "daemon sets controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run syncs DaemonSets with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(ds *appsv1.DaemonSet) {
	if key, err := cache.MetaNamespaceKeyFunc(ds); err == nil {
		c.loop.Queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	all, err := c.sets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		c.enqueue(ds)
	}
}

// updateNode syncs the DaemonSets for which the node's change matters:
// it came to fit them, or stopped fitting.
func (c *Controller) updateNode(old, node *corev1.Node) {
	if old.ResourceVersion == node.ResourceVersion {
		return
	}
	all, err := c.sets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		if placementOf(old, ds) != placementOf(node, ds) {
			c.enqueue(ds)
		}
	}
}

// errorf is an error of a sync, naming its DaemonSet.
func errorf(ds *appsv1.DaemonSet, format string, args ...any) error {
	return fmt.Errorf("daemon set %s/%s: %w", ds.Namespace, ds.Name, fmt.Errorf(format, args...))
}
