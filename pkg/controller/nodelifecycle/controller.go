package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	coordinationinformers "k8s.io/client-go/informers/coordination/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	nodeutil "k8s.io/component-helpers/node/util"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podindex"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

const (
	// eventSource is upstream's event source for this controller.
	eventSource = "node-controller"
	// evictionPeriod is how often the NoExecute taint queues are worked,
	// as upstream's NodeEvictionPeriod.
	evictionPeriod = 100 * time.Millisecond
	// healthUpdateRetries and healthRetryInterval are how often, and how
	// far apart, a Node's Unknown status is tried, as upstream's
	// NodeHealthUpdateRetry and retrySleepTime.
	healthUpdateRetries = 5
	healthRetryInterval = 20 * time.Millisecond
)

// Controller keeps Nodes' condition taints and marks silent Nodes Unknown.
type Controller struct {
	client kubernetes.Interface
	opts   Options
	// now is the controller's clock: the health monitor's times are its
	// own, never the kubelet's.
	now func() metav1.Time

	nodes      corelisters.NodeLister
	leases     coordinationlisters.LeaseLister
	pods       corelisters.PodLister
	podIndexer cache.TypedIndexer[*corev1.Pod]
	synced     []cache.InformerSynced

	// nodeQueue has the Nodes whose NoSchedule taints and labels to sync;
	// podQueue the pods newly bound to a Node, to mark not ready if the
	// Node is not.
	nodeQueue workqueue.TypedRateLimitingInterface[string]
	podQueue  workqueue.TypedRateLimitingInterface[string]

	health *healthMap

	// known and zoneStates belong to the health monitor's goroutine: the
	// Nodes seen, and each zone's disruption state.
	known      map[string]*corev1.Node
	zoneStates map[string]zoneState

	// zonesMu guards zoneQueues, each zone's NoExecute taint queue, which
	// the monitor's workers and the tainting pass share.
	zonesMu    sync.Mutex
	zoneQueues map[string]*taintQueue

	// retryMu guards retryPods: the Nodes whose pods could not all be
	// marked not ready, tried again on the next pass.
	retryMu   sync.Mutex
	retryPods map[string]bool

	// events records while Run runs.
	events *events.Recorder
}

// New returns a controller that watches Nodes, pods and Leases through
// factory; the caller starts factory and calls Run. It fails for Options
// that are out of range, and if the pod index or an event handler cannot
// be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	opts, err := opts.complete()
	if err != nil {
		return nil, fmt.Errorf("node lifecycle controller: %w", err)
	}
	nodes := factory.Core().V1().Nodes()
	pods := factory.Core().V1().Pods()
	leases := factory.Coordination().V1().Leases()
	c := &Controller{
		client:     client,
		opts:       opts,
		now:        metav1.Now,
		nodes:      nodes.Lister(),
		leases:     leases.Lister(),
		pods:       pods.Lister(),
		podIndexer: pods.TypedInformer().GetTypedIndexer(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics provider.
		nodeQueue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		podQueue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		health:     &healthMap{m: map[string]*health{}},
		known:      map[string]*corev1.Node{},
		zoneStates: map[string]zoneState{},
		zoneQueues: map[string]*taintQueue{},
		retryPods:  map[string]bool{},
		events:     events.New(client, eventSource),
	}
	if err := podindex.AddByNodeName(pods.TypedInformer()); err != nil {
		return nil, err
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{
			AddFunc:    c.enqueueNode,
			UpdateFunc: func(_, cur *corev1.Node) { c.enqueueNode(cur) },
			DeleteFunc: func(d coreinformers.DeletedNode) { c.setRetry(d.GetName(), false) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    func(pod *corev1.Pod) { c.podBound(nil, pod) },
			UpdateFunc: c.podBound,
		}),
		eventhandlers.For("lease", leases.TypedInformer(), coordinationinformers.LeaseHandlerFuncs{}),
	)
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// enqueueNode queues node's name.
func (c *Controller) enqueueNode(node *corev1.Node) { c.nodeQueue.Add(node.Name) }

// podBound queues a pod that has just been bound to a Node: added bound
// (old nil), or bound by this update.
func (c *Controller) podBound(old, cur *corev1.Pod) {
	if cur.Spec.NodeName == "" {
		return
	}
	if old != nil && old.Spec.NodeName == cur.Spec.NodeName {
		return
	}
	c.podQueue.Add(cache.MetaObjectToName(cur).String())
}

// podsOnNode is the pods bound to Node name, from the informer.
func (c *Controller) podsOnNode(name string) ([]*corev1.Pod, error) {
	return c.podIndexer.ByTypedIndex(podindex.ByNodeName, name)
}

func (c *Controller) setRetry(name string, retry bool) {
	c.retryMu.Lock()
	defer c.retryMu.Unlock()
	if retry {
		c.retryPods[name] = true
	} else {
		delete(c.retryPods, name)
	}
}

func (c *Controller) needsRetry(name string) bool {
	c.retryMu.Lock()
	defer c.retryMu.Unlock()
	return c.retryPods[name]
}

// Run syncs Nodes' taints and pods with the given number of workers each,
// checks every Node's health each NodeMonitorPeriod (with as many Nodes at
// once) and works the NoExecute taint queues, until ctx is done; it
// returns once all of them have stopped.
func (c *Controller) Run(ctx context.Context, n int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName("node-lifecycle-controller")
	ctx = klog.NewContext(ctx, logger)
	n = max(n, 1)
	logger.V(2).Info("Starting node lifecycle controller", "nodeMonitorGracePeriod", c.opts.NodeMonitorGracePeriod)
	defer logger.V(2).Info("Stopped node lifecycle controller")

	defer c.events.Start(ctx)()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.podQueue.ShutDown()
	defer c.nodeQueue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	nodePool := workers.Pool[string]{Queue: c.nodeQueue, Sync: c.syncNode,
		ErrorMessage: "Failed to sync taints and labels of node, requeuing", ItemKey: "node"}
	podPool := workers.Pool[string]{Queue: c.podQueue, Sync: c.syncPod,
		ErrorMessage: "Failed to mark pod NotReady, requeuing", ItemKey: "pod"}
	nodePool.Start(ctx, &wg, n)
	podPool.Start(ctx, &wg, n)
	wg.Go(func() { wait.UntilWithContext(ctx, c.taintPass, evictionPeriod) })
	wg.Go(func() {
		wait.UntilWithContext(ctx, func(ctx context.Context) { c.monitor(ctx, n) }, c.opts.NodeMonitorPeriod)
	})
	<-ctx.Done()
}

// syncNode gives Node name the NoSchedule taints its conditions and
// spec.unschedulable call for, and its beta labels.
func (c *Controller) syncNode(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	add, remove := noScheduleDiff(node)
	return errors.Join(c.updateTaints(ctx, node, add, remove), c.reconcileLabels(ctx, node))
}

// syncPod marks pod key not ready if the Node it was bound to is not
// ready as last seen by the health monitor, as upstream's processPod: a
// pod bound after the Node went quiet is not left looking ready.
func (c *Controller) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.pods.Pods(ns).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	h := c.health.get(pod.Spec.NodeName)
	if h == nil {
		// Not seen yet, or gone: the next health pass handles its pods.
		return nil
	}
	if _, err := c.nodes.Get(pod.Spec.NodeName); err != nil {
		return fmt.Errorf("get node %s of pod %s: %w", pod.Spec.NodeName, key, err)
	}
	_, ready := nodeutil.GetNodeCondition(h.status, corev1.NodeReady)
	if ready == nil || ready.Status == corev1.ConditionTrue {
		return nil
	}
	return c.markPodsNotReady(ctx, []*corev1.Pod{pod}, pod.Spec.NodeName)
}

// recordNodeEvent records upstream's generic node event, on a reference
// made by hand (the event lands in the default namespace).
func (c *Controller) recordNodeEvent(node *corev1.Node, reason, event string) {
	c.events.Eventf(nodeRef(node), corev1.EventTypeNormal, reason, "Node %s event: %s", node.Name, event)
}

// recordNodeStatusChange records upstream's node status event.
func (c *Controller) recordNodeStatusChange(node *corev1.Node, status string) {
	c.events.Eventf(nodeRef(node), corev1.EventTypeNormal, status, "Node %s status is now: %s", node.Name, status)
}

func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
}
