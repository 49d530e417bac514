package endpoints

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/workqueue"
	endpointslicerec "k8s.io/endpointslice"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"
	utilnet "k8s.io/utils/net"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podservices"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/triggers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// LabelManagedBy and ControllerName mark the Endpoints this controller
// writes, as kube-controller-manager v1.33+ marks them.
const (
	LabelManagedBy = "endpoints.kubernetes.io/managed-by"
	ControllerName = "endpoint-controller"
)

// maxRetries is how often a failing Service is retried (backing off from
// 5ms) before it is dropped until its next change, as upstream.
const maxRetries = 15

// Options tunes the controller like kube-controller-manager's flags do.
type Options struct {
	// BatchPeriod is --endpoint-updates-batch-period: how long a pod change
	// waits before its Services sync. 0, the default, syncs at once.
	BatchPeriod time.Duration
}

// Controller writes the v1 Endpoints of selector Services.
type Controller struct {
	client kubernetes.Interface
	opts   Options

	services     corelisters.ServiceLister
	pods         corelisters.PodLister
	endpoints    corelisters.EndpointsLister
	synced       []cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]
	triggerTimes *endpointsliceutil.TriggerTimeTracker
	stale        *staleTracker
	pending      *triggers.Pending
	events       *events.Recorder
}

// New returns a controller that watches Services, Pods and Endpoints
// through factory; the caller starts factory and calls Run. It fails if an
// event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	services := factory.Core().V1().Services()
	pods := factory.Core().V1().Pods()
	endpoints := factory.Core().V1().Endpoints()
	c := &Controller{
		client:    client,
		opts:      opts,
		services:  services.Lister(),
		pods:      pods.Lister(),
		endpoints: endpoints.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics provider.
		queue:        workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		triggerTimes: endpointsliceutil.NewTriggerTimeTracker(),
		stale:        &staleTracker{versions: map[types.NamespacedName]string{}},
		pending:      &triggers.Pending{},
		events:       events.New(client, "endpoint-controller"),
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("service", services.TypedInformer(), coreinformers.ServiceHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: func(_, svc *corev1.Service) { c.enqueue(svc) },
			DeleteFunc: func(d coreinformers.DeletedService) { c.queue.Add(d.GetKey()) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), podservices.Handler(c.services, c.queue, c.opts.BatchPeriod)),
		// A deleted Endpoints of a selector Service is written again; one
		// without a Service stays gone.
		eventhandlers.For("endpoints", endpoints.TypedInformer(), coreinformers.EndpointsHandlerFuncs{
			DeleteFunc: func(d coreinformers.DeletedEndpoints) { c.queue.Add(d.GetKey()) },
		}),
	)
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// Run syncs Services with the given number of workers until ctx is done,
// and returns once they have all stopped.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := workers.Loop[string]{
		Pool:   workers.Pool[string]{Queue: c.queue, Sync: c.sync, OnError: c.retry},
		Name:   "endpoints-controller",
		Title:  "endpoints controller",
		Synced: c.synced,
		Events: c.events,
		Ready:  c.queueLeftovers,
	}
	loop.Run(ctx, n)
}

// queueLeftovers queues every Endpoints once at start, so that those whose
// Service went while the controller was not running are deleted, as
// upstream does. Leader-election records, which have no Service, are
// spared.
func (c *Controller) queueLeftovers(ctx context.Context) {
	all, err := c.endpoints.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Unable to list endpoints; orphaned endpoints will not be cleaned up")
		return
	}
	for _, ep := range all {
		if _, ok := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]; ok {
			continue
		}
		c.queue.Add(cache.MetaObjectToName(ep).String())
	}
}

// enqueue queues svc's key.
func (c *Controller) enqueue(svc *corev1.Service) { c.queue.Add(cache.MetaObjectToName(svc).String()) }

// retry adds a Service whose sync failed back with the queue's backoff,
// until it has failed maxRetries times.
func (c *Controller) retry(ctx context.Context, key string, err error) {
	if c.queue.NumRequeues(key) < maxRetries {
		klog.FromContext(ctx).V(2).Info("Error syncing endpoints, retrying", "key", key, "err", err)
		c.queue.AddRateLimited(key)
		return
	}
	c.queue.Forget(key)
	utilruntime.HandleErrorWithContext(ctx, err, "Dropping service out of the queue", "key", key)
}

// errStaleCache is returned by a sync that finds in the informer an
// Endpoints this controller has already replaced; the Service is retried
// once the cache had time to catch up.
var errStaleCache = errors.New("endpoints informer cache is out of date")

// sync writes the Endpoints of the Service key, or deletes it if the
// Service is gone.
func (c *Controller) sync(ctx context.Context, key string) (err error) {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() {
		logger.V(4).Info("Finished syncing service endpoints", "key", key, "duration", time.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// Endpoints have no ownerReference: the controller deletes them.
		err := c.client.CoreV1().Endpoints(namespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		c.triggerTimes.DeleteService(namespace, name)
		c.pending.Take(key, time.Time{})
		c.stale.forget(namespace, name)
		return nil
	}
	if err != nil {
		return err
	}
	// ExternalName Services have no endpoints; selectorless ones have
	// Endpoints written by someone else.
	if svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Spec.Selector == nil {
		return nil
	}
	pods, err := c.pods.Pods(namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	current, err := c.endpoints.Endpoints(namespace).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		current = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	case err != nil:
		return err
	case c.stale.isStale(current):
		return errStaleCache
	}
	// Computed before anything is compared so that the tracker moves on
	// even when nothing is written; a change whose write failed is kept
	// for the next try.
	triggerTime := c.triggerTimes.ComputeEndpointLastChangeTriggerTime(namespace, svc, pods)
	triggerTime = c.pending.Take(key, triggerTime)
	defer func() {
		if err != nil {
			c.pending.Keep(key, triggerTime)
		}
	}()
	subsets := desiredSubsets(logger, svc, pods)
	create := current.ResourceVersion == ""
	wantLabels := desiredLabels(svc)
	if !create && subsetsEqual(current.Subsets, subsets) &&
		equality.Semantic.DeepEqual(current.Labels, wantLabels) &&
		capacityAnnotationCorrect(current) {
		return nil
	}

	ep := current.DeepCopy()
	ep.Subsets = subsets
	ep.Labels = wantLabels
	if ep.Annotations == nil {
		ep.Annotations = map[string]string{}
	}
	if triggerTime.IsZero() {
		delete(ep.Annotations, corev1.EndpointsLastChangeTriggerTime)
	} else {
		ep.Annotations[corev1.EndpointsLastChangeTriggerTime] = triggerTime.UTC().Format(time.RFC3339Nano)
	}
	if truncate(ep) {
		ep.Annotations[corev1.EndpointsOverCapacity] = overCapacityTruncated
	} else {
		delete(ep.Annotations, corev1.EndpointsOverCapacity)
	}

	if create {
		_, err = c.client.CoreV1().Endpoints(namespace).Create(ctx, ep, metav1.CreateOptions{})
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			// Creates keep failing in a terminating namespace.
			return nil
		}
	} else {
		var updated *corev1.Endpoints
		updated, err = c.client.CoreV1().Endpoints(namespace).Update(ctx, ep, metav1.UpdateOptions{})
		// Until the informer brings the new version, the cached one is
		// known to be old. A no-op update keeps the version and so leaves
		// the cache current.
		if err == nil && updated.ResourceVersion != current.ResourceVersion {
			c.stale.mark(current)
		}
	}
	if err != nil {
		if create {
			c.events.Eventf(ep, corev1.EventTypeWarning, "FailedToCreateEndpoint",
				"Failed to create endpoint for service %v/%v: %v", namespace, name, err)
		} else {
			c.events.Eventf(ep, corev1.EventTypeWarning, "FailedToUpdateEndpoint",
				"Failed to update endpoint %v/%v: %v", namespace, name, err)
		}
		return err
	}
	logger.V(4).Info("Wrote endpoints", "service", klog.KObj(svc), "create", create)
	return nil
}

// desiredSubsets are the repacked subsets of the Endpoints of svc given
// the pods its selector matches.
func desiredSubsets(logger klog.Logger, svc *corev1.Service, pods []*corev1.Pod) []corev1.EndpointSubset {
	var subsets []corev1.EndpointSubset
	for _, pod := range pods {
		if !endpointsliceutil.ShouldPodBeInEndpoints(pod, svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		addr, ok := podAddress(svc, pod)
		if !ok {
			// A pod without an IP of the Service's family (single-stack
			// pods behind a dual-stack primary of the other family).
			logger.V(4).Info("No address of the service's family on pod", "service", klog.KObj(svc), "pod", klog.KObj(pod))
			continue
		}
		ready := svc.Spec.PublishNotReadyAddresses || endpointsliceutil.IsPodReady(pod)
		subset := func(ports []corev1.EndpointPort) corev1.EndpointSubset {
			if ready {
				return corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{addr}, Ports: ports}
			}
			return corev1.EndpointSubset{NotReadyAddresses: []corev1.EndpointAddress{addr}, Ports: ports}
		}
		if len(svc.Spec.Ports) == 0 {
			// Only headless Services may go without ports.
			if svc.Spec.ClusterIP == corev1.ClusterIPNone {
				subsets = append(subsets, subset([]corev1.EndpointPort{}))
			}
			continue
		}
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			port, err := endpointslicerec.FindPort(pod, sp)
			if err != nil {
				logger.V(4).Info("Failed to find port for service", "service", klog.KObj(svc), "err", err)
				continue
			}
			subsets = append(subsets, subset([]corev1.EndpointPort{{
				Name: sp.Name, Port: int32(port), Protocol: sp.Protocol, AppProtocol: sp.AppProtocol,
			}}))
		}
	}
	return repack(subsets)
}

// podAddress is the address of pod in the Endpoints of svc: its IP of the
// Service's primary family. Without ipFamilies (an API server that does
// not default them) the family is that of the cluster IP or, for a
// headless Service, of the pod's primary IP.
func podAddress(svc *corev1.Service, pod *corev1.Pod) (corev1.EndpointAddress, bool) {
	ipv6 := false
	switch {
	case len(svc.Spec.IPFamilies) > 0:
		ipv6 = svc.Spec.IPFamilies[0] == corev1.IPv6Protocol
	case svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone:
		ipv6 = utilnet.IsIPv6String(svc.Spec.ClusterIP)
	default:
		ipv6 = utilnet.IsIPv6String(pod.Status.PodIP)
	}
	for _, ip := range pod.Status.PodIPs {
		if utilnet.IsIPv6String(ip.IP) != ipv6 {
			continue
		}
		addr := corev1.EndpointAddress{
			IP:       ip.IP,
			NodeName: &pod.Spec.NodeName,
			TargetRef: &corev1.ObjectReference{
				Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			},
		}
		if endpointsliceutil.ShouldSetHostname(pod, svc) {
			addr.Hostname = pod.Spec.Hostname
		}
		return addr, true
	}
	return corev1.EndpointAddress{}, false
}

// desiredLabels are the Service's labels plus the controller's own: the
// managed-by mark and, for a headless Service, the headless label.
func desiredLabels(svc *corev1.Service) map[string]string {
	l := maps.Clone(svc.Labels)
	if l == nil {
		l = map[string]string{}
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		l[corev1.IsHeadlessService] = ""
	} else {
		delete(l, corev1.IsHeadlessService)
	}
	l[LabelManagedBy] = ControllerName
	return l
}

// capacityAnnotationCorrect says whether ep needs no truncation and no
// change to its over-capacity annotation.
func capacityAnnotationCorrect(ep *corev1.Endpoints) bool {
	n := 0
	for _, ss := range ep.Subsets {
		n += len(ss.Addresses) + len(ss.NotReadyAddresses)
	}
	if n > maxCapacity {
		return false
	}
	_, annotated := ep.Annotations[corev1.EndpointsOverCapacity]
	return !annotated
}

// ignoreRefVersion compares subsets without the targetRefs'
// resourceVersions, which change with every pod update that does not
// matter here.
var ignoreRefVersion = conversion.EqualitiesOrDie(
	func(a, b corev1.ObjectReference) bool {
		a.ResourceVersion, b.ResourceVersion = "", ""
		return a == b
	},
)

func subsetsEqual(a, b []corev1.EndpointSubset) bool {
	return ignoreRefVersion.DeepEqual(a, b)
}

// staleTracker remembers, per Endpoints, the resourceVersion this
// controller replaced last: finding it in the informer again means the
// cache is behind.
type staleTracker struct {
	mu       sync.Mutex
	versions map[types.NamespacedName]string
}

func (t *staleTracker) mark(ep *corev1.Endpoints) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.versions[types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}] = ep.ResourceVersion
}

func (t *staleTracker) isStale(ep *corev1.Endpoints) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.versions[types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}]
	return ok && v == ep.ResourceVersion
}

func (t *staleTracker) forget(namespace, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.versions, types.NamespacedName{Namespace: namespace, Name: name})
}
