package scheduler

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

// Name is the scheduler's name: the pods whose spec.schedulerName is it
// (the API's default) are its to place, and its events come from it.
const Name = corev1.DefaultSchedulerName

// kube-scheduler's defaults for its queue (KubeSchedulerConfiguration's
// podInitialBackoffSeconds and podMaxBackoffSeconds, and
// podMaxInUnschedulablePodsDuration).
const (
	DefaultPodInitialBackoff                 = time.Second
	DefaultPodMaxBackoff                     = 10 * time.Second
	DefaultPodMaxInUnschedulablePodsDuration = 5 * time.Minute
)

// DefaultBinders is how many bindings Run keeps in flight when asked for
// fewer than one worker: kube-scheduler binds each pod in a goroutine of
// its own, so that the next pod is placed while the API writes the last.
const DefaultBinders = 64

// stopGrace is how long the writes in flight when Run stops may go on, so
// that they finish rather than being cut off (as the controllers' workers).
const stopGrace = 2 * time.Second

// Scheduler places pending pods on nodes. New makes one; Run runs it.
type Scheduler struct {
	client kubernetes.Interface
	pods   corelisters.PodLister
	synced []cache.InformerSynced
	clock  clock.Clock

	cache   *schedCache
	queue   *queue
	volumes *volumeBinder
	events  *events.V1Recorder
	// gated holds gated pods still without a PodScheduled condition.
	gated workqueue.TypedInterface[string]

	// nextStart and ties are the scheduling loop's own, touched with the
	// cache locked.
	nextStart, ties int
}

// Option changes what New makes.
type Option func(*options)

type options struct {
	initialBackoff, maxBackoff, maxInUnschedulable time.Duration
	bindTimeout                                    time.Duration
	clock                                          clock.Clock
}

// WithPodInitialBackoff sets how long a pod waits after its first failed
// attempt before the next (doubling with each attempt).
func WithPodInitialBackoff(d time.Duration) Option { return func(o *options) { o.initialBackoff = d } }

// WithPodMaxBackoff caps the wait between a pod's attempts.
func WithPodMaxBackoff(d time.Duration) Option { return func(o *options) { o.maxBackoff = d } }

// WithPodMaxInUnschedulablePodsDuration sets how long an unschedulable pod
// waits for an event that may make room before it is tried again anyway.
func WithPodMaxInUnschedulablePodsDuration(d time.Duration) Option {
	return func(o *options) { o.maxInUnschedulable = d }
}

// WithBindTimeout sets how long a pod waits for its claims to be bound
// (VolumeBindingArgs' bindTimeoutSeconds) before it is tried again.
func WithBindTimeout(d time.Duration) Option { return func(o *options) { o.bindTimeout = d } }

// New returns a scheduler that watches pods and nodes through factory; the
// caller starts factory and calls Run. Options change the queue's
// timings, which default to kube-scheduler's. It fails for timings out of
// range, and if an event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts ...Option) (*Scheduler, error) {
	o := options{initialBackoff: DefaultPodInitialBackoff, maxBackoff: DefaultPodMaxBackoff,
		maxInUnschedulable: DefaultPodMaxInUnschedulablePodsDuration, bindTimeout: DefaultBindTimeout, clock: clock.RealClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.initialBackoff <= 0 || o.maxBackoff < o.initialBackoff || o.maxInUnschedulable <= 0 || o.bindTimeout <= 0 {
		return nil, fmt.Errorf("scheduler back-off %v to %v, unschedulable wait %v and bind timeout %v: each must be positive and the first at most the second",
			o.initialBackoff, o.maxBackoff, o.maxInUnschedulable, o.bindTimeout)
	}
	pods, nodes := factory.Core().V1().Pods(), factory.Core().V1().Nodes()
	claims, volumes := factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes()
	classes := factory.Storage().V1().StorageClasses()
	s := &Scheduler{
		client: client,
		pods:   pods.Lister(),
		clock:  o.clock,
		cache:  newCache(),
		queue:  newQueue(o.clock, o.initialBackoff, o.maxBackoff, o.maxInUnschedulable),
		events: events.NewV1(client, Name),
		gated:  workqueue.NewTyped[string](),
		volumes: &volumeBinder{claims: claims.Lister(), volumes: volumes.Lister(), classes: classes.Lister(),
			timeout: o.bindTimeout},
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{
			AddFunc:    s.addNode,
			UpdateFunc: s.updateNode,
			DeleteFunc: func(d coreinformers.DeletedNode) { s.cache.removeNode(d.GetName()) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    func(pod *corev1.Pod) { s.updatePod(nil, pod) },
			UpdateFunc: s.updatePod,
			DeleteFunc: s.deletePod,
		}),
		// The VolumeBinding plugin's events: a claim made or changed (bound,
		// say) may make its pods schedulable, and so may a volume or a class.
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			AddFunc:    func(claim *corev1.PersistentVolumeClaim) { s.queue.moveAll(claimEvent(claim)) },
			UpdateFunc: func(_, claim *corev1.PersistentVolumeClaim) { s.queue.moveAll(claimEvent(claim)) },
		}),
		eventhandlers.For("persistentvolume", volumes.TypedInformer(), coreinformers.PersistentVolumeHandlerFuncs{
			AddFunc:    func(*corev1.PersistentVolume) { s.queue.moveAll(anyClaims) },
			UpdateFunc: func(_, _ *corev1.PersistentVolume) { s.queue.moveAll(anyClaims) },
		}),
		eventhandlers.For("storageclass", classes.TypedInformer(), storageinformers.StorageClassHandlerFuncs{
			AddFunc:    func(*storagev1.StorageClass) { s.queue.moveAll(anyClaims) },
			UpdateFunc: func(_, _ *storagev1.StorageClass) { s.queue.moveAll(anyClaims) },
		}),
	)
	if err != nil {
		return nil, err
	}
	s.synced = synced
	return s, nil
}

func (s *Scheduler) addNode(node *corev1.Node) {
	s.cache.setNode(node)
	s.queue.moveAll(nil)
}

func (s *Scheduler) updateNode(old, node *corev1.Node) {
	s.cache.setNode(node)
	if schedulingPropertiesChanged(old, node) {
		s.queue.moveAll(nil)
	}
}

// schedulingPropertiesChanged is upstream's nodeSchedulingPropertiesChange:
// a node update can make a pod fit only if it changes what the filters
// read; a kubelet's heartbeat does not.
func schedulingPropertiesChanged(old, node *corev1.Node) bool {
	if old.Spec.Unschedulable != node.Spec.Unschedulable ||
		!apiequality.Semantic.DeepEqual(old.Status.Allocatable, node.Status.Allocatable) ||
		!apiequality.Semantic.DeepEqual(old.Labels, node.Labels) ||
		!apiequality.Semantic.DeepEqual(old.Spec.Taints, node.Spec.Taints) ||
		!apiequality.Semantic.DeepEqual(old.Annotations, node.Annotations) {
		return true
	}
	conds := func(n *corev1.Node) map[corev1.NodeConditionType]corev1.ConditionStatus {
		m := make(map[corev1.NodeConditionType]corev1.ConditionStatus, len(n.Status.Conditions))
		for _, c := range n.Status.Conditions {
			m[c.Type] = c.Status
		}
		return m
	}
	return !apiequality.Semantic.DeepEqual(conds(old), conds(node))
}

// updatePod takes a pod's add (old nil) or update: a bound pod counts on
// its node, a pending one of this scheduler's waits in the queue.
func (s *Scheduler) updatePod(old, pod *corev1.Pod) {
	key := podKey(pod)
	if pod.Spec.NodeName != "" {
		s.queue.remove(key)
		s.cache.setPod(pod)
		if old != nil && old.Spec.NodeName != "" && terminal(pod) && !terminal(old) {
			// A finished pod frees its node, as a deleted one.
			s.queue.moveAll(nil)
		}
		return
	}
	if old != nil && old.ResourceVersion == pod.ResourceVersion {
		return // a resync
	}
	if s.cache.isAssumed(key) {
		return // bound by this scheduler; the informer has not caught up
	}
	if !schedulable(pod, Name) {
		s.queue.remove(key)
		s.cache.removePod(key)
		return
	}
	info := newPodInfo(pod)
	s.queue.add(info)
	s.cache.mu.Lock()
	s.cache.setNominatedLocked(info, pod.Status.NominatedNodeName)
	s.cache.mu.Unlock()
	if len(pod.Spec.SchedulingGates) > 0 && !hasCondition(pod, corev1.PodScheduled) {
		s.gated.Add(key)
	}
}

// deletePod needs the pod's node: a deletion whose last state is unknown
// is skipped.
func (s *Scheduler) deletePod(d coreinformers.DeletedPod) {
	pod := d.OptionalObj
	if pod == nil {
		return
	}
	key := podKey(pod)
	s.queue.remove(key)
	s.cache.removePod(key)
	if pod.Spec.NodeName != "" {
		// Its node has room again.
		s.queue.moveAll(nil)
	}
}

func hasCondition(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}

// Run places pods until ctx is done, and returns once the writes in flight
// have finished. Pods are placed one at a time, as kube-scheduler does, and
// bound concurrently: workers is how many bindings (and failure reports)
// may be in flight at once, DefaultBinders if it is less than one.
func (s *Scheduler) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(Name)
	ctx = klog.NewContext(ctx, logger)
	if workers < 1 {
		workers = DefaultBinders
	}
	logger.V(2).Info("Starting scheduler", "binders", workers)
	defer logger.V(2).Info("Stopped scheduler")
	defer s.events.Start(ctx)()

	// The writes run on a context that outlives ctx by stopGrace.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.gated.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	wg.Go(func() { s.markGated(work) })
	slots := make(chan struct{}, workers)
	for {
		qp := s.queue.pop(ctx)
		if qp == nil {
			return
		}
		s.scheduleOne(ctx, work, qp, slots, &wg)
	}
}

// scheduleOne is one scheduling cycle; its writes (the binding, or the
// failure's event and condition) go to a goroutine of their own, holding a
// slot.
func (s *Scheduler) scheduleOne(ctx, work context.Context, qp *queuedPod, slots chan struct{}, wg *sync.WaitGroup) {
	info := qp.info
	pod := info.pod
	logger := klog.FromContext(ctx)
	if cur, err := s.pods.Pods(pod.Namespace).Get(pod.Name); err != nil || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		s.queue.done(info.key, scheduled) // gone or bound meanwhile
		return
	}
	if pod.DeletionTimestamp != nil {
		s.events.Eventf(pod, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "skip schedule deleting pod: %v/%v", pod.Namespace, pod.Name)
		logger.V(3).Info("Skip schedule deleting pod", "pod", klog.KObj(pod))
		s.queue.done(info.key, scheduled)
		return
	}
	logger.V(3).Info("Attempting to schedule pod", "pod", klog.KObj(pod))
	d := s.schedule(logger, info)
	if d.node != "" {
		s.queue.done(info.key, scheduled)
	} else {
		s.queue.done(info.key, rejected)
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		if d.node != "" {
			s.cache.forget(info.key)
		}
		return
	}
	wg.Go(func() {
		var once sync.Once
		release := func() { once.Do(func() { <-slots }) }
		defer release()
		if d.node != "" {
			s.bind(work, qp, d, release)
			return
		}
		s.reportFailure(work, pod, d)
	})
}

// bind is the binding cycle: the VolumeBinding PreBind if the pod's claims
// need it (which calls release before it waits), then the binding, as the
// DefaultBinder plugin, and the Scheduled event. A PreBind or binding that
// fails frees what the pod was assumed to take, and the pod is tried again
// after its back-off.
func (s *Scheduler) bind(ctx context.Context, qp *queuedPod, d decision, release func()) {
	pod, node := qp.info.pod, d.node
	logger := klog.FromContext(ctx)
	if d.volumes != nil {
		err := s.bindVolumes(ctx, pod, d.volumes, release)
		s.cache.forgetVolumes(d.volumes)
		if err != nil {
			s.bindFailed(ctx, qp, err, fmt.Sprintf("running PreBind plugin %q: %v", volumeBindingPlugin, err))
			return
		}
	}
	err := s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}, metav1.CreateOptions{})
	if err == nil {
		logger.V(2).Info("Successfully bound pod to node", "pod", klog.KObj(pod), "node", node)
		s.events.Eventf(pod, nil, corev1.EventTypeNormal, "Scheduled", "Binding", "Successfully assigned %v/%v to %v", pod.Namespace, pod.Name, node)
		return
	}
	s.bindFailed(ctx, qp, err, err.Error())
}

// bindFailed is the end of a binding cycle that failed with err: the pod
// is no longer assumed, and, unless it went or was bound meanwhile, is
// tried again after its back-off, reported with message.
func (s *Scheduler) bindFailed(ctx context.Context, qp *queuedPod, err error, message string) {
	pod := qp.info.pod
	logger := klog.FromContext(ctx)
	logger.V(1).Info("Failed to bind pod", "pod", klog.KObj(pod), "err", err)
	s.cache.forget(qp.info.key)
	// What it was assumed to take is free: an assigned pod gone, to the
	// pods waiting for room.
	s.queue.moveAll(nil)
	cur, getErr := s.pods.Pods(pod.Namespace).Get(pod.Name)
	if apierrors.IsNotFound(err) || getErr != nil || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		return
	}
	if ctx.Err() != nil {
		return // stopping: no retry, no report
	}
	utilruntime.HandleErrorWithContext(ctx, err, "Error scheduling pod; retrying", "pod", klog.KObj(pod))
	s.queue.retry(qp)
	s.reportFailure(ctx, cur, decision{reason: corev1.PodReasonSchedulerError, message: message, nominate: clearNomination})
}

// reportFailure is the end of upstream's handleSchedulingFailure: the
// preemption's evictions, if any, the FailedScheduling event and the
// PodScheduled=False condition (with lastTransitionTime kept while the
// condition stays False).
func (s *Scheduler) reportFailure(ctx context.Context, pod *corev1.Pod, d decision) {
	logger := klog.FromContext(ctx)
	// The freshest pod from the informer, so that the status patch starts
	// from what the API has.
	cur, err := s.pods.Pods(pod.Namespace).Get(pod.Name)
	if err != nil || cur.UID != pod.UID || cur.Spec.NodeName != "" {
		return
	}
	if d.message == errNoNodesAvailable {
		logger.V(2).Info("Unable to schedule pod; no nodes are registered to the cluster; waiting", "pod", klog.KObj(cur))
	} else {
		logger.V(2).Info("Unable to schedule pod; no fit; waiting", "pod", klog.KObj(cur), "err", d.message)
	}
	if d.preempt != nil {
		s.preempt(ctx, cur, d.preempt)
	}
	s.events.Eventf(cur, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "%s", truncateMessage(d.message))
	cond := &corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: d.reason,
		Message: d.message, ObservedGeneration: cur.Generation}
	if err := patchStatus(ctx, s.client, s.clock, cur, cond, d.nominate); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Error updating pod", "pod", klog.KObj(cur))
	}
}

// markGated gives each gated pod without a PodScheduled condition the one
// kube-apiserver gives it at creation (PodScheduled=False,
// SchedulingGated): fakecluster's API server does not, and without it
// kubectl would not show the pod SchedulingGated.
func (s *Scheduler) markGated(ctx context.Context) {
	for {
		key, quit := s.gated.Get()
		if quit {
			return
		}
		func() {
			defer s.gated.Done(key)
			ns, name, err := cache.SplitMetaNamespaceKey(key)
			if err != nil {
				return
			}
			pod, err := s.pods.Pods(ns).Get(name)
			if err != nil || pod.Spec.NodeName != "" || len(pod.Spec.SchedulingGates) == 0 || hasCondition(pod, corev1.PodScheduled) {
				return
			}
			cond := &corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
				Reason: corev1.PodReasonSchedulingGated, Message: msgGated}
			if err := patchStatus(ctx, s.client, s.clock, pod, cond, keepNomination); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Error marking pod gated", "pod", klog.KObj(pod))
			}
		}()
	}
}
