package podgc

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	nodeutil "k8s.io/component-helpers/node/util"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podstatus"
)

// name is the controller's name, as kube-controller-manager's --controllers
// spells it.
const name = "pod-garbage-collector-controller"

// Controller force-deletes pods that no kubelet will finish.
type Controller struct {
	client kubernetes.Interface
	opts   Options
	pods   corelisters.PodLister
	nodes  corelisters.NodeLister
	synced []cache.InformerSynced
	// quarantine holds the names of Nodes pods are bound to but the
	// informer lacks, each until QuarantineTime after it was first missed.
	quarantine workqueue.TypedDelayingInterface[string]
	now        func() time.Time
}

// New returns a collector that watches pods and Nodes through factory; the
// caller starts factory and calls Run. It fails for Options out of range,
// and if an event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	opts, err := opts.complete()
	if err != nil {
		return nil, fmt.Errorf("pod garbage collector: %w", err)
	}
	pods := factory.Core().V1().Pods()
	nodes := factory.Core().V1().Nodes()
	c := &Controller{
		client: client,
		opts:   opts,
		pods:   pods.Lister(),
		nodes:  nodes.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics provider.
		quarantine: workqueue.NewTypedDelayingQueue[string](),
		now:        time.Now,
	}
	// The collector lists from the caches and needs no events, but a
	// handler is what tells when a shared informer has synced.
	synced, err := eventhandlers.Add(
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{}),
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{}),
	)
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// Run collects every GCCheckPeriod until ctx is done, deleting up to n
// pods at once, and returns when the last collection has ended.
func (c *Controller) Run(ctx context.Context, n int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(name)
	ctx = klog.NewContext(ctx, logger)
	defer c.quarantine.ShutDown()
	logger.V(2).Info("Starting pod garbage collector", "terminatedPodThreshold", c.opts.TerminatedPodGCThreshold)
	defer logger.V(2).Info("Stopped pod garbage collector")
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	wait.UntilWithContext(ctx, func(ctx context.Context) { c.gc(ctx, max(n, 1)) }, c.opts.GCCheckPeriod)
}

// gc is one collection, in upstream's order.
func (c *Controller) gc(ctx context.Context, n int) {
	logger := klog.FromContext(ctx)
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		logger.Error(err, "Error while listing all pods")
		return
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		logger.Error(err, "Error while listing all nodes")
		return
	}
	if c.opts.TerminatedPodGCThreshold > 0 {
		if victims := terminatedBeyond(pods, c.opts.TerminatedPodGCThreshold); len(victims) > 0 {
			logger.Info("Garbage collecting pods", "numPods", len(victims))
			c.deleteAll(ctx, n, victims, nil)
		}
	}
	c.deleteAll(ctx, n, c.terminatingOutOfService(ctx, pods), nil)
	c.gcOrphaned(ctx, n, pods, nodes)
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil && pod.Spec.NodeName == "" {
			logger.V(2).Info("Found unscheduled terminating Pod not assigned to any Node, deleting", "pod", klog.KObj(pod))
			c.deleteAll(ctx, 1, []*corev1.Pod{pod}, nil)
		}
	}
}

// terminated reports whether pod has finished: neither pending, running
// nor unknown.
func terminated(pod *corev1.Pod) bool {
	switch pod.Status.Phase {
	case corev1.PodPending, corev1.PodRunning, corev1.PodUnknown:
		return false
	}
	return true
}

// evicted reports whether the kubelet evicted pod, as upstream's
// PodIsEvicted.
func evicted(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted"
}

// terminatedBeyond is the finished pods beyond the threshold newest ones,
// in deletion order: evicted pods first, then by creation time and name.
func terminatedBeyond(pods []*corev1.Pod, threshold int) []*corev1.Pod {
	var done []*corev1.Pod
	for _, pod := range pods {
		if terminated(pod) {
			done = append(done, pod)
		}
	}
	if len(done) <= threshold {
		return nil
	}
	sortForDeletion(done)
	return done[:len(done)-threshold]
}

// sortForDeletion orders pods as upstream's byEvictionAndCreationTimestamp.
func sortForDeletion(pods []*corev1.Pod) {
	slices.SortStableFunc(pods, func(a, b *corev1.Pod) int {
		if ea, eb := evicted(a), evicted(b); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// terminatingOutOfService is the terminating pods on a Node that is not
// ready and is tainted node.kubernetes.io/out-of-service: a Node declared
// gone, whose kubelet will never confirm the deletions.
func (c *Controller) terminatingOutOfService(ctx context.Context, pods []*corev1.Pod) []*corev1.Pod {
	logger := klog.FromContext(ctx)
	var out []*corev1.Pod
	for _, pod := range pods {
		if pod.DeletionTimestamp == nil || pod.Spec.NodeName == "" {
			continue
		}
		node, err := c.nodes.Get(pod.Spec.NodeName)
		if err != nil {
			continue
		}
		if !nodeReady(node) && hasTaintKey(node.Spec.Taints, corev1.TaintNodeOutOfService) {
			logger.V(4).Info("Garbage collecting pod that is terminating", "pod", klog.KObj(pod), "phase", pod.Status.Phase)
			out = append(out, pod)
		}
	}
	sortForDeletion(out)
	return out
}

func nodeReady(node *corev1.Node) bool {
	_, c := nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

func hasTaintKey(taints []corev1.Taint, key string) bool {
	return slices.ContainsFunc(taints, func(t corev1.Taint) bool { return t.Key == key })
}

// gcOrphaned deletes the pods bound to Nodes that are gone: a Node missing
// from the informer is quarantined first, and its pods are deleted only
// once it is still missing after QuarantineTime and a read of the API
// confirms it.
func (c *Controller) gcOrphaned(ctx context.Context, n int, pods []*corev1.Pod, nodes []*corev1.Node) {
	existing := make(map[string]bool, len(nodes))
	for _, node := range nodes {
		existing[node.Name] = true
	}
	for _, pod := range pods {
		if pod.Spec.NodeName != "" && !existing[pod.Spec.NodeName] {
			c.quarantine.AddAfter(pod.Spec.NodeName, c.opts.QuarantineTime)
		}
	}
	gone := map[string]bool{}
	for c.quarantine.Len() > 0 {
		name, quit := c.quarantine.Get()
		if quit {
			return
		}
		if !existing[name] {
			switch _, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); {
			case apierrors.IsNotFound(err):
				gone[name] = true
			case err != nil:
				// Quarantined again on the next pass if still missing.
				klog.FromContext(ctx).Error(err, "Error while getting node", "node", klog.KRef("", name))
			}
		}
		c.quarantine.Done(name)
	}
	var orphans []*corev1.Pod
	for _, pod := range pods {
		if gone[pod.Spec.NodeName] {
			klog.FromContext(ctx).V(2).Info("Found orphaned Pod assigned to the Node, deleting", "pod", klog.KObj(pod), "node", klog.KRef("", pod.Spec.NodeName))
			orphans = append(orphans, pod)
		}
	}
	c.deleteAll(ctx, n, orphans, &corev1.PodCondition{
		Type:    corev1.DisruptionTarget,
		Status:  corev1.ConditionTrue,
		Reason:  "DeletionByPodGC",
		Message: "PodGC: node no longer exists",
	})
}

// deleteAll force-deletes pods, n at a time, each with cond if not nil.
func (c *Controller) deleteAll(ctx context.Context, n int, pods []*corev1.Pod, cond *corev1.PodCondition) {
	workqueue.ParallelizeUntil(ctx, n, len(pods), func(i int) {
		if err := c.forceDelete(ctx, pods[i], cond); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Failed to garbage collect pod", "pod", klog.KObj(pods[i]))
		}
	})
}

// forceDelete marks pod Failed, with cond if not nil, unless it has
// finished, then deletes it with grace period 0, as upstream's
// markFailedAndDeletePodWithCondition: an orphaned pod would otherwise stay
// Running forever, as no kubelet is left to finish it.
func (c *Controller) forceDelete(ctx context.Context, pod *corev1.Pod, cond *corev1.PodCondition) error {
	klog.FromContext(ctx).Info("PodGC is force deleting Pod", "pod", klog.KObj(pod))
	if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		status := pod.Status.DeepCopy()
		status.Phase = corev1.PodFailed
		if cond != nil {
			withGen := *cond
			withGen.ObservedGeneration = pod.Generation
			podstatus.SetCondition(status, withGen, metav1.NewTime(c.now()))
		}
		if err := podstatus.Patch(ctx, c.client, pod, *status); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("mark pod %s/%s failed: %w", pod.Namespace, pod.Name, err)
		}
	}
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, *metav1.NewDeleteOptions(0))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
