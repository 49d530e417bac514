package tainteviction

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podindex"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podstatus"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

const (
	// eventSource is upstream's event source: the controller's name.
	eventSource = "taint-eviction-controller"
	// deleteRetries and deleteRetryInterval are how often, and how far
	// apart, a due eviction is tried, as upstream.
	deleteRetries       = 5
	deleteRetryInterval = 10 * time.Millisecond
)

// Controller deletes pods from Nodes whose NoExecute taints they do not
// tolerate, or tolerate only for a while.
type Controller struct {
	client     kubernetes.Interface
	pods       corelisters.PodLister
	nodes      corelisters.NodeLister
	podIndexer cache.TypedIndexer[*corev1.Pod]
	synced     []cache.InformerSynced
	nodeQueue  workqueue.TypedRateLimitingInterface[string]
	podQueue   workqueue.TypedRateLimitingInterface[string]
	now        func() time.Time

	// mu guards what follows. Node and pod syncs decide under it, so that
	// a pod's eviction is always decided on its Node's latest taints.
	mu sync.Mutex
	// tainted is the NoExecute taints of every Node that has some.
	tainted map[string][]corev1.Taint
	// evictions is the scheduled eviction of each pod (namespace/name); a
	// nil entry is one done, kept so that the pod is not evicted twice.
	evictions map[string]*eviction
	// runCtx is the running Run's context, which evictions use; stopped is
	// set when Run ends, after which no eviction starts.
	runCtx  context.Context
	stopped bool
	// firing counts the evictions under way.
	firing sync.WaitGroup

	// events records while Run runs.
	events *events.Recorder
}

// eviction is one scheduled pod deletion.
type eviction struct {
	createdAt time.Time
	timer     *time.Timer
}

// New returns a controller that watches Nodes and pods through factory;
// the caller starts factory and calls Run. It fails if the pod index or an
// event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	nodes := factory.Core().V1().Nodes()
	pods := factory.Core().V1().Pods()
	c := &Controller{
		client:     client,
		pods:       pods.Lister(),
		nodes:      nodes.Lister(),
		podIndexer: pods.TypedInformer().GetTypedIndexer(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics provider.
		nodeQueue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		podQueue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		now:       time.Now,
		tainted:   map[string][]corev1.Taint{},
		evictions: map[string]*eviction{},
		events:    events.New(client, eventSource),
	}
	if err := podindex.AddByNodeName(pods.TypedInformer()); err != nil {
		return nil, err
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{
			AddFunc:    func(node *corev1.Node) { c.nodeQueue.Add(node.Name) },
			UpdateFunc: c.nodeUpdated,
			DeleteFunc: func(d coreinformers.DeletedNode) { c.nodeQueue.Add(d.GetKey()) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    func(pod *corev1.Pod) { c.podQueue.Add(cache.MetaObjectToName(pod).String()) },
			UpdateFunc: c.podUpdated,
			DeleteFunc: func(d coreinformers.DeletedPod) { c.podQueue.Add(d.GetKey()) },
		}),
	)
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// nodeUpdated queues a Node whose NoExecute taints changed.
func (c *Controller) nodeUpdated(old, cur *corev1.Node) {
	if apiequality.Semantic.DeepEqual(noExecuteTaints(old.Spec.Taints), noExecuteTaints(cur.Spec.Taints)) {
		return
	}
	c.nodeQueue.Add(cur.Name)
}

// podUpdated queues a pod bound to another Node or with other tolerations.
func (c *Controller) podUpdated(old, cur *corev1.Pod) {
	if old.Spec.NodeName == cur.Spec.NodeName && apiequality.Semantic.DeepEqual(old.Spec.Tolerations, cur.Spec.Tolerations) {
		return
	}
	c.podQueue.Add(cache.MetaObjectToName(cur).String())
}

// Run syncs Nodes and pods with the given number of workers each until ctx
// is done, and returns once they, and the evictions under way, have
// stopped; evictions not yet due are dropped.
func (c *Controller) Run(ctx context.Context, n int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(eventSource)
	ctx = klog.NewContext(ctx, logger)
	logger.V(2).Info("Starting taint eviction controller")
	defer logger.V(2).Info("Stopped taint eviction controller")

	defer c.events.Start(ctx)()
	c.mu.Lock()
	c.runCtx, c.stopped = ctx, false
	c.mu.Unlock()
	defer c.stopEvictions()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.podQueue.ShutDown()
	defer c.nodeQueue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	nodePool := workers.Pool[string]{Queue: c.nodeQueue, Sync: c.syncNode,
		ErrorMessage: "Failed to process node taints, requeuing", ItemKey: "node"}
	podPool := workers.Pool[string]{Queue: c.podQueue, Sync: c.syncPod,
		ErrorMessage: "Failed to process pod tolerations, requeuing", ItemKey: "pod"}
	nodePool.Start(ctx, &wg, max(n, 1))
	podPool.Start(ctx, &wg, max(n, 1))
	<-ctx.Done()
}

// stopEvictions drops the evictions not yet due and waits for those under
// way.
func (c *Controller) stopEvictions() {
	c.mu.Lock()
	c.stopped = true
	for key, ev := range c.evictions {
		if ev != nil {
			ev.timer.Stop()
		}
		delete(c.evictions, key)
	}
	c.mu.Unlock()
	c.firing.Wait()
}

// syncNode records Node name's NoExecute taints and decides the eviction
// of every pod bound to it.
func (c *Controller) syncNode(ctx context.Context, name string) error {
	logger := klog.FromContext(ctx)
	node, err := c.nodes.Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if node == nil {
		logger.V(4).Info("Noticed node deletion", "node", klog.KRef("", name))
		delete(c.tainted, name)
		return nil
	}
	taints := noExecuteTaints(node.Spec.Taints)
	logger.V(4).Info("Updating known taints on node", "node", klog.KObj(node), "taints", taints)
	if len(taints) == 0 {
		delete(c.tainted, name)
	} else {
		c.tainted[name] = taints
	}
	pods, err := c.podIndexer.ByTypedIndex(podindex.ByNodeName, name)
	if err != nil {
		return fmt.Errorf("list pods of node %s: %w", name, err)
	}
	now := c.now()
	for _, pod := range pods {
		key := pod.Namespace + "/" + pod.Name
		if len(taints) == 0 {
			c.cancel(key)
			continue
		}
		c.decide(ctx, pod, taints, now)
	}
	return nil
}

// syncPod decides the eviction of pod key from its Node's taints, and
// cancels that of a pod that is gone.
func (c *Controller) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.pods.Pods(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if pod == nil {
		c.cancel(key)
		return nil
	}
	if pod.Spec.NodeName == "" {
		return nil
	}
	taints, ok := c.tainted[pod.Spec.NodeName]
	if !ok {
		return nil
	}
	c.decide(ctx, pod, taints, c.now())
	return nil
}

// decide schedules, keeps or cancels pod's eviction from a Node with the
// NoExecute taints taints, as upstream's processPodOnNode. c.mu is held.
func (c *Controller) decide(ctx context.Context, pod *corev1.Pod, taints []corev1.Taint, now time.Time) {
	logger := klog.FromContext(ctx)
	key := pod.Namespace + "/" + pod.Name
	if len(taints) == 0 {
		c.cancel(key)
		return
	}
	tolerated, used := matchingTolerations(logger, taints, pod.Spec.Tolerations)
	if !tolerated {
		logger.V(2).Info("Not all taints are tolerated after update for pod on node", "pod", key, "node", klog.KRef("", pod.Spec.NodeName))
		c.cancel(key)
		c.schedule(key, now, now)
		return
	}
	least := minTolerationTime(used)
	if least < 0 {
		logger.V(4).Info("Current tolerations for pod tolerate forever, cancelling any scheduled deletion", "pod", key)
		c.cancel(key)
		return
	}
	start, fire := now, now.Add(least)
	if ev := c.evictions[key]; ev != nil {
		start = ev.createdAt
		if start.Add(least).Before(fire) {
			return
		}
		c.cancel(key)
	}
	c.schedule(key, start, fire)
}

// schedule arranges pod key's eviction at fire, unless one is scheduled or
// done. c.mu is held.
func (c *Controller) schedule(key string, createdAt, fire time.Time) {
	if _, ok := c.evictions[key]; ok || c.stopped {
		return
	}
	ev := &eviction{createdAt: createdAt}
	delay := fire.Sub(createdAt)
	ev.timer = time.AfterFunc(max(delay, 0), func() { c.fire(key, ev) })
	c.evictions[key] = ev
}

// cancel drops pod key's scheduled eviction, with upstream's event if one
// was pending, and forgets a done one. c.mu is held.
func (c *Controller) cancel(key string) {
	ev, ok := c.evictions[key]
	if !ok {
		return
	}
	delete(c.evictions, key)
	if ev == nil {
		return
	}
	ev.timer.Stop()
	c.podEvent(key, "Cancelling deletion of Pod %s")
}

// fire evicts pod key, if ev is still its scheduled eviction.
func (c *Controller) fire(key string, ev *eviction) {
	c.mu.Lock()
	if c.stopped || c.evictions[key] != ev {
		c.mu.Unlock()
		return
	}
	ctx := c.runCtx
	c.firing.Add(1)
	c.mu.Unlock()
	defer c.firing.Done()

	logger := klog.FromContext(ctx)
	logger.Info("Deleting pod", "controller", eventSource, "pod", key)
	c.podEvent(key, "Marking for deletion Pod %s")
	var err error
	for range deleteRetries {
		if err = c.evict(ctx, key); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(deleteRetryInterval)
	}
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Failed to delete pod", "pod", key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.evictions[key] == ev {
		if err == nil {
			c.evictions[key] = nil
		} else {
			delete(c.evictions, key)
		}
	}
}

// evict gives pod key the DisruptionTarget condition and deletes it; a pod
// already gone counts as evicted.
func (c *Controller) evict(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	status := pod.Status.DeepCopy()
	if podstatus.SetCondition(status, corev1.PodCondition{
		Type:               corev1.DisruptionTarget,
		ObservedGeneration: pod.Generation,
		Status:             corev1.ConditionTrue,
		Reason:             "DeletionByTaintManager",
		Message:            "Taint manager: deleting due to NoExecute taint",
	}, metav1.NewTime(c.now())) {
		if err := podstatus.Patch(ctx, c.client, pod, *status); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("set disruption condition of pod %s: %w", key, err)
		}
	}
	err = c.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s: %w", key, err)
	}
	return nil
}

// podEvent records upstream's TaintManagerEviction event on pod key,
// referred to by name only, as upstream does.
func (c *Controller) podEvent(key, format string) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return
	}
	ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: name}
	c.events.Eventf(ref, corev1.EventTypeNormal, "TaintManagerEviction", format, key)
}
