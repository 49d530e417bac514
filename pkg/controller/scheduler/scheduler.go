package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	resourcehelper "k8s.io/component-helpers/resource"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

// Name is the scheduler's name: pods whose spec.schedulerName is it are
// its to bind, and its events come from it.
const Name = corev1.DefaultSchedulerName

// Upstream's back-off of an unschedulable pod: 1 s doubling to 10 s.
const (
	minBackoff = time.Second
	maxBackoff = 10 * time.Second
)

// Scheduler binds pending pods to nodes. New makes one; Run runs it.
type Scheduler struct {
	client   kubernetes.Interface
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder *events.Recorder

	mu sync.Mutex
	// assumed are pods bound by this scheduler that the informer may not
	// show as bound yet, by key, with their node.
	assumed map[string]string
}

// New returns a scheduler watching pods and nodes through factory; the
// caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Scheduler, error) {
	pods, nodes := factory.Core().V1().Pods(), factory.Core().V1().Nodes()
	s := &Scheduler{
		client: client,
		pods:   pods.Lister(),
		nodes:  nodes.Lister(),
		queue: workqueue.NewTypedRateLimitingQueue(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](minBackoff, maxBackoff)),
		recorder: events.New(client, Name),
		assumed:  make(map[string]string),
	}
	podReg, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.podChanged,
		UpdateFunc: func(_, obj any) { s.podChanged(obj) },
		DeleteFunc: func(any) { s.requeueAll() }, // resources freed
	})
	if err != nil {
		return nil, err
	}
	nodeReg, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.requeueAll() },
		UpdateFunc: func(_, _ any) { s.requeueAll() },
	})
	if err != nil {
		return nil, err
	}
	s.synced = []cache.InformerSynced{podReg.HasSynced, nodeReg.HasSynced}
	return s, nil
}

func (s *Scheduler) podChanged(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	key := pod.Namespace + "/" + pod.Name
	if pod.Spec.NodeName != "" {
		s.mu.Lock()
		delete(s.assumed, key)
		s.mu.Unlock()
		return
	}
	if pending(pod) {
		s.queue.Add(key)
	}
}

// pending reports whether pod is this scheduler's to bind.
func pending(pod *corev1.Pod) bool {
	return pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil && pod.Spec.SchedulerName == Name &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

// requeueAll retries every pending pod: something changed that may make
// room (a node came or changed, a pod went).
func (s *Scheduler) requeueAll() {
	pods, err := s.pods.List(labels.Everything())
	if err != nil {
		return
	}
	for _, p := range pods {
		if pending(p) {
			key := p.Namespace + "/" + p.Name
			s.queue.Forget(key)
			s.queue.Add(key)
		}
	}
}

// Run schedules pods one at a time, as kube-scheduler does, until ctx is
// done.
func (s *Scheduler) Run(ctx context.Context, _ int) {
	logger := klog.FromContext(ctx).WithName(Name)
	ctx = klog.NewContext(ctx, logger)
	defer s.queue.ShutDown()
	stop := s.recorder.Start(ctx)
	defer stop()
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	go func() { <-ctx.Done(); s.queue.ShutDown() }()
	for {
		key, quit := s.queue.Get()
		if quit {
			return
		}
		retry := s.scheduleOne(ctx, key)
		if retry {
			s.queue.AddRateLimited(key)
		} else {
			s.queue.Forget(key)
		}
		s.queue.Done(key)
	}
}

// scheduleOne tries to bind the pod key names; it reports whether to try
// again later.
func (s *Scheduler) scheduleOne(ctx context.Context, key string) bool {
	ns, name, _ := strings.Cut(key, "/")
	pod, err := s.pods.Pods(ns).Get(name)
	if err != nil || !pending(pod) {
		return false
	}
	s.mu.Lock()
	_, bound := s.assumed[key]
	s.mu.Unlock()
	if bound {
		return false
	}
	if len(pod.Spec.SchedulingGates) > 0 {
		s.setCondition(ctx, pod, "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates")
		return false
	}
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		return true
	}
	node, msg := s.pick(ctx, pod, nodes)
	if node == nil {
		s.recorder.Event(pod, corev1.EventTypeWarning, "FailedScheduling", msg)
		s.setCondition(ctx, pod, corev1.PodReasonUnschedulable, msg)
		return true
	}
	err = s.client.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: ns, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node.Name},
	}, metav1.CreateOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return false
		}
		if ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Failed to bind pod", "pod", klog.KObj(pod))
		}
		return true
	}
	s.mu.Lock()
	s.assumed[key] = node.Name
	s.mu.Unlock()
	s.recorder.Eventf(pod, corev1.EventTypeNormal, "Scheduled", "Successfully assigned %s/%s to %s", ns, pod.Name, node.Name)
	return false
}

// setCondition records PodScheduled=False with reason and message, as
// kube-scheduler does for a pod it could not place.
func (s *Scheduler) setCondition(ctx context.Context, pod *corev1.Pod, reason, msg string) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == reason && c.Message == msg {
			return
		}
	}
	p := pod.DeepCopy()
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: msg,
		LastTransitionTime: metav1.Now(), ObservedGeneration: pod.Generation}
	i := slices.IndexFunc(p.Status.Conditions, func(c corev1.PodCondition) bool { return c.Type == corev1.PodScheduled })
	if i >= 0 {
		if p.Status.Conditions[i].Status == corev1.ConditionFalse {
			cond.LastTransitionTime = p.Status.Conditions[i].LastTransitionTime
		}
		p.Status.Conditions[i] = cond
	} else {
		p.Status.Conditions = append(p.Status.Conditions, cond)
	}
	if _, err := s.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		klog.FromContext(ctx).Error(err, "Could not set PodScheduled condition", "pod", klog.KObj(pod))
	}
}

// Reasons of the filters, as kube-scheduler's plugins word them.
const (
	reasonAffinity      = "node(s) didn't match Pod's node affinity/selector"
	reasonUnschedulable = "node(s) were unschedulable"
	reasonTooManyPods   = "Too many pods"
	reasonPorts         = "node(s) didn't have free ports for the requested pod ports"
)

// pick returns the least allocated node that fits pod, or nil and the
// FailedScheduling message saying why each node did not.
func (s *Scheduler) pick(ctx context.Context, pod *corev1.Pod, nodes []*corev1.Node) (*corev1.Node, string) {
	if len(nodes) == 0 {
		return nil, "no nodes available to schedule pods"
	}
	usage := s.usage()
	req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	reasons := map[string]int{}
	var best *corev1.Node
	bestScore := -1.0
	logger := klog.FromContext(ctx)
	for _, n := range nodes {
		why := fits(logger, pod, n, req, usage[n.Name])
		if len(why) > 0 {
			for _, r := range why {
				reasons[r]++
			}
			continue
		}
		score := freeShare(n, req, usage[n.Name])
		if score > bestScore || (score == bestScore && n.Name < best.Name) {
			best, bestScore = n, score
		}
	}
	if best != nil {
		return best, ""
	}
	return nil, fitError(len(nodes), reasons)
}

// fitError is kube-scheduler's FitError text: the per-reason node counts
// sorted, then the preemption postfix (fakecluster does not preempt, so it
// is never helpful).
func fitError(n int, reasons map[string]int) string {
	var parts []string
	for r, c := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", c, r))
	}
	sort.Strings(parts)
	return fmt.Sprintf("0/%d nodes are available: %s. preemption: 0/%d nodes are available: %d Preemption is not helpful for scheduling.",
		n, strings.Join(parts, ", "), n, n)
}

// nodeUsage is what the pods on a node request.
type nodeUsage struct {
	pods     int
	requests corev1.ResourceList
	ports    map[string]bool
}

// usage sums the requests of the pods bound (or assumed bound) to each
// node that still hold resources.
func (s *Scheduler) usage() map[string]*nodeUsage {
	out := map[string]*nodeUsage{}
	pods, _ := s.pods.List(labels.Everything())
	s.mu.Lock()
	assumed := make(map[string]string, len(s.assumed))
	for k, v := range s.assumed {
		assumed[k] = v
	}
	s.mu.Unlock()
	for _, p := range pods {
		node := p.Spec.NodeName
		if node == "" {
			node = assumed[p.Namespace+"/"+p.Name]
		}
		if node == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		u := out[node]
		if u == nil {
			u = &nodeUsage{requests: corev1.ResourceList{}, ports: map[string]bool{}}
			out[node] = u
		}
		u.pods++
		for r, q := range resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{}) {
			cur := u.requests[r]
			cur.Add(q)
			u.requests[r] = cur
		}
		for _, port := range hostPorts(p) {
			u.ports[port] = true
		}
	}
	return out
}

func hostPorts(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			if port.HostPort > 0 {
				out = append(out, fmt.Sprintf("%s/%d", port.Protocol, port.HostPort))
			}
		}
	}
	return out
}

// fits returns the reasons node cannot take pod, none if it can.
func fits(logger klog.Logger, pod *corev1.Pod, node *corev1.Node, req corev1.ResourceList, u *nodeUsage) []string {
	if u == nil {
		u = &nodeUsage{requests: corev1.ResourceList{}, ports: map[string]bool{}}
	}
	// The filters run in kube-scheduler's plugin order, and a node is
	// reported under the first that rejects it.
	if node.Spec.Unschedulable && !tolerates(logger, pod, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}) {
		return []string{reasonUnschedulable}
	}
	taints := slices.DeleteFunc(slices.Clone(node.Spec.Taints), func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectPreferNoSchedule })
	if t, bad := corev1helpers.FindMatchingUntoleratedTaint(logger, taints, pod.Spec.Tolerations, nil, true); bad {
		return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)}
	}
	if !matchesAffinity(pod, node) {
		return []string{reasonAffinity}
	}
	for _, port := range hostPorts(pod) {
		if u.ports[port] {
			return []string{reasonPorts}
		}
	}
	// NodeResourcesFit reports every resource that is short.
	var why []string
	if max, ok := node.Status.Allocatable[corev1.ResourcePods]; ok && int64(u.pods+1) > max.Value() {
		why = append(why, reasonTooManyPods)
	}
	names := make([]string, 0, len(req))
	for r := range req {
		names = append(names, string(r))
	}
	sort.Strings(names)
	for _, r := range names {
		want := req[corev1.ResourceName(r)]
		if want.IsZero() {
			continue
		}
		have := node.Status.Allocatable[corev1.ResourceName(r)]
		used := u.requests[corev1.ResourceName(r)]
		used.Add(want)
		if used.Cmp(have) > 0 {
			why = append(why, "Insufficient "+r)
		}
	}
	return why
}

func tolerates(logger klog.Logger, pod *corev1.Pod, t corev1.Taint) bool {
	return corev1helpers.TolerationsTolerateTaint(logger, pod.Spec.Tolerations, &t, true)
}

// matchesAffinity is the NodeAffinity filter: nodeSelector and the
// required node affinity terms.
func matchesAffinity(pod *corev1.Pod, node *corev1.Node) bool {
	if len(pod.Spec.NodeSelector) > 0 && !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		ok, err := nodeaffinity.NewLazyErrorNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution).Match(node)
		return ok && err == nil
	}
	return true
}

// freeShare is the LeastAllocated score: the mean free share of cpu and
// memory after placing the pod, and of the pod slots.
func freeShare(node *corev1.Node, req corev1.ResourceList, u *nodeUsage) float64 {
	share := func(r corev1.ResourceName) float64 {
		have := node.Status.Allocatable[r]
		if have.IsZero() {
			return 0
		}
		used := resourceOf(u, r)
		if q, ok := req[r]; ok {
			used.Add(q)
		}
		return 1 - float64(used.MilliValue())/float64(have.MilliValue())
	}
	pods := 0.0
	if max, ok := node.Status.Allocatable[corev1.ResourcePods]; ok && max.Value() > 0 {
		n := 0
		if u != nil {
			n = u.pods
		}
		pods = 1 - float64(n+1)/float64(max.Value())
	}
	return (share(corev1.ResourceCPU) + share(corev1.ResourceMemory) + pods) / 3
}

func resourceOf(u *nodeUsage, r corev1.ResourceName) (q resource.Quantity) {
	if u == nil {
		return q
	}
	return u.requests[r].DeepCopy()
}
