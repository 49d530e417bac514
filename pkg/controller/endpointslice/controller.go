package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	endpointslicerec "k8s.io/endpointslice"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podservices"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/triggers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// ControllerName is the value of the endpointslice.kubernetes.io/managed-by
// label on the slices this controller owns, as upstream's.
const ControllerName = "endpointslice-controller.k8s.io"

// DefaultMaxEndpointsPerSlice is kube-controller-manager's default
// --max-endpoints-per-slice.
const DefaultMaxEndpointsPerSlice = 100

const (
	// maxRetries is how often a failing Service is retried before it is
	// dropped until its next change, as upstream.
	maxRetries = 15
	// sliceChangeMinDelay is the least a Service waits before a sync that
	// one of its slices changing asked for, so that a burst of slice
	// events makes one sync.
	sliceChangeMinDelay = time.Second
	// Retries back off from 1s (not workqueue's 5ms) to 1000s: a failed
	// sync can mean many slice writes, which should not hammer the server.
	defaultSyncBackOff = time.Second
	maxSyncBackOff     = 1000 * time.Second
)

// errStaleCache is returned by a sync that finds the slice informer behind
// what this controller has already written; the Service is retried once
// the cache had time to catch up. The tracker tells so by the slices'
// metadata.generation, which the API server must bump on every change but
// to metadata other than labels, as kube-apiserver does: a sync from a
// stale slice would place an endpoint a second time in another slice.
var errStaleCache = errors.New("EndpointSlice informer cache is out of date")

// Options tunes the controller like kube-controller-manager's flags do.
type Options struct {
	// MaxEndpointsPerSlice is --max-endpoints-per-slice; 0 means
	// DefaultMaxEndpointsPerSlice.
	MaxEndpointsPerSlice int32
	// BatchPeriod is --endpointslice-updates-batch-period: how long a pod
	// change waits before its Services sync, so that changes to many pods
	// make one write. 0, the default, syncs at once.
	BatchPeriod time.Duration
}

// Controller keeps the EndpointSlices of selector Services up to date.
type Controller struct {
	client kubernetes.Interface
	opts   Options

	services     corelisters.ServiceLister
	pods         corelisters.PodLister
	nodes        corelisters.NodeLister
	slices       discoverylisters.EndpointSliceLister
	synced       []cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]
	sliceTracker *endpointsliceutil.EndpointSliceTracker
	triggerTimes *endpointsliceutil.TriggerTimeTracker
	pending      *triggers.Pending
	reconciler   *endpointslicerec.Reconciler
	events       *events.Recorder
}

// New returns a controller that watches Services, Pods, Nodes and
// EndpointSlices through factory; the caller starts factory and calls Run.
// It fails if an event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	if opts.MaxEndpointsPerSlice <= 0 {
		opts.MaxEndpointsPerSlice = DefaultMaxEndpointsPerSlice
	}
	services := factory.Core().V1().Services()
	pods := factory.Core().V1().Pods()
	nodes := factory.Core().V1().Nodes()
	slices := factory.Discovery().V1().EndpointSlices()
	c := &Controller{
		client:   client,
		opts:     opts,
		services: services.Lister(),
		pods:     pods.Lister(),
		nodes:    nodes.Lister(),
		slices:   slices.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics provider.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedMaxOfRateLimiter(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](defaultSyncBackOff, maxSyncBackOff),
			&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
		)),
		sliceTracker: endpointsliceutil.NewEndpointSliceTracker(),
		triggerTimes: endpointsliceutil.NewTriggerTimeTracker(),
		pending:      &triggers.Pending{},
		// It records only while Run runs, so that a controller that never
		// runs leaks no goroutine.
		events: events.New(client, "endpoint-slice-controller"),
	}
	// No topology cache (topology-aware hints off). The library's metrics
	// are never registered (we do not call its RegisterMetrics), so its
	// updates to them are no-ops and nothing global is touched.
	c.reconciler = endpointslicerec.NewReconciler(client, c.nodes, opts.MaxEndpointsPerSlice,
		c.sliceTracker, nil, c.events, ControllerName,
		endpointslicerec.WithPreferSameTrafficDistributionEnabled(true))
	synced, err := eventhandlers.Add(
		eventhandlers.For("service", services.TypedInformer(), coreinformers.ServiceHandlerFuncs{
			AddFunc:    c.enqueueService,
			UpdateFunc: func(_, svc *corev1.Service) { c.enqueueService(svc) },
			DeleteFunc: func(d coreinformers.DeletedService) { c.queue.Add(d.GetKey()) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), podservices.Handler(c.services, c.queue, c.opts.BatchPeriod)),
		// Nodes only feed the lister (zones); topology hints are off.
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{}),
		eventhandlers.For("endpointslice", slices.TypedInformer(), discoveryinformers.EndpointSliceHandlerFuncs{
			AddFunc:    c.onSliceAdd,
			UpdateFunc: c.onSliceUpdate,
			DeleteFunc: c.onSliceDelete,
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
		Name:   "endpointslice-controller",
		Title:  "endpointslice controller",
		Synced: c.synced,
		Events: c.events,
	}
	loop.Run(ctx, n)
}

// retry requeues a Service whose sync failed, up to maxRetries times as
// upstream does; a stale slice cache is routine and logged only at V(4).
func (c *Controller) retry(ctx context.Context, key string, err error) {
	logger := klog.FromContext(ctx)
	if c.queue.NumRequeues(key) >= maxRetries {
		c.queue.Forget(key)
		utilruntime.HandleErrorWithContext(ctx, err, "Retry budget exceeded, dropping service out of the queue", "key", key)
		return
	}
	if errors.Is(err, errStaleCache) {
		logger.V(4).Info("EndpointSlice cache stale, retrying", "key", key)
	} else {
		logger.V(2).Info("Error syncing endpoint slices for service, retrying", "key", key, "err", err)
	}
	c.queue.AddRateLimited(key)
}

// sync brings the slices of the Service key in line with its pods.
func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() {
		logger.V(4).Info("Finished syncing service endpoint slices", "key", key, "duration", time.Since(start))
	}()
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// Its slices go with it through their ownerReferences.
		c.triggerTimes.DeleteService(namespace, name)
		c.pending.Take(key, time.Time{})
		c.reconciler.DeleteService(namespace, name)
		c.sliceTracker.DeleteService(namespace, name)
		return nil
	}
	if err != nil {
		return err
	}
	// ExternalName Services have no endpoints; selectorless ones have
	// slices written by someone else.
	if svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Spec.Selector == nil {
		return nil
	}

	pods, err := c.pods.Pods(namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		c.events.Eventf(svc, corev1.EventTypeWarning, "FailedToListPods",
			"Error listing Pods for Service %s/%s: %v", namespace, name, err)
		return err
	}
	owned := labels.Set{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ControllerName}.AsSelectorPreValidated()
	slices, err := c.slices.EndpointSlices(namespace).List(owned)
	if err != nil {
		c.events.Eventf(svc, corev1.EventTypeWarning, "FailedToListEndpointSlices",
			"Error listing Endpoint Slices for Service %s/%s: %v", namespace, name, err)
		return err
	}
	// Slices on their way out would otherwise block the sync forever.
	// Of a Service being deleted, only the slices it still owns are its:
	// the others were orphaned by a delete with propagationPolicy Orphan,
	// and reconciling them away, as upstream's controller does when its
	// sync comes between the garbage collector's orphaning and the
	// Service's end, would undo what the user asked for.
	live := slices[:0:0]
	for _, s := range slices {
		if s.DeletionTimestamp == nil && (svc.DeletionTimestamp == nil || metav1.IsControlledBy(s, svc)) {
			live = append(live, s)
		}
	}
	if c.sliceTracker.StaleSlices(svc, live) {
		return errStaleCache
	}
	// Computed before reconciling so that the tracker moves on even when
	// the sync writes nothing.
	// A change whose write failed is kept for the next try, since the
	// tracker has moved past it.
	triggerTime := c.triggerTimes.ComputeEndpointLastChangeTriggerTime(namespace, svc, pods)
	triggerTime = c.pending.Take(key, triggerTime)
	if err := c.reconciler.Reconcile(logger, svc, pods, live, triggerTime); err != nil {
		c.pending.Keep(key, triggerTime)
		c.events.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices",
			"Error updating Endpoint Slices for Service %s/%s: %v", namespace, name, err)
		return err
	}
	return nil
}

// enqueueService queues svc's key.
func (c *Controller) enqueueService(svc *corev1.Service) {
	c.queue.Add(cache.MetaObjectToName(svc).String())
}

// A slice event only queues its Service when this controller did not cause
// it (the tracker knows which generations it wrote) or when the slice
// changed hands: the controller's own writes need no sync.

func (c *Controller) onSliceAdd(slice *discoveryv1.EndpointSlice) {
	if c.managed(slice) && c.sliceTracker.ShouldSync(slice) {
		c.enqueueSliceService(slice)
	}
}

func (c *Controller) onSliceUpdate(old, slice *discoveryv1.EndpointSlice) {
	// The generation does not move when labels do, so a slice moved to
	// another Service is caught here.
	if old.Labels[discoveryv1.LabelServiceName] != slice.Labels[discoveryv1.LabelServiceName] {
		c.enqueueSliceService(slice)
		c.enqueueSliceService(old)
		return
	}
	if c.managed(old) != c.managed(slice) || (c.managed(slice) && c.sliceTracker.ShouldSync(slice)) {
		c.enqueueSliceService(slice)
	}
}

// onSliceDelete needs the slice's labels: a deletion whose last state is
// unknown is skipped.
func (c *Controller) onSliceDelete(d discoveryinformers.DeletedEndpointSlice) {
	slice := d.OptionalObj
	if slice == nil {
		return
	}
	// HandleDeletion is false for a deletion this controller did not ask
	// for: put the slice back.
	if c.managed(slice) && c.sliceTracker.Has(slice) && !c.sliceTracker.HandleDeletion(slice) {
		c.enqueueSliceService(slice)
	}
}

func (c *Controller) managed(slice *discoveryv1.EndpointSlice) bool {
	return slice.Labels[discoveryv1.LabelManagedBy] == ControllerName
}

// enqueueSliceService queues the Service of slice after a delay, so that
// changes to several of its slices are handled together.
func (c *Controller) enqueueSliceService(slice *discoveryv1.EndpointSlice) {
	key, err := endpointslicerec.ServiceControllerKey(slice)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get service key for EndpointSlice %s/%s: %w", slice.Namespace, slice.Name, err))
		return
	}
	c.queue.AddAfter(key, max(sliceChangeMinDelay, c.opts.BatchPeriod))
}
