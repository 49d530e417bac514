package garbagecollector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/lru"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

const (
	// resyncPeriod is how often discovery is asked whether resources came
	// or went, as kube-controller-manager does.
	resyncPeriod = 30 * time.Second
	// initialSyncTimeout bounds the wait for the first lists before workers
	// start anyway, as upstream proceeds with whatever monitors synced.
	initialSyncTimeout = 30 * time.Second
	// absentOwnerCacheSize is how many owners known to be gone are
	// remembered, sparing a GET per dependent of a deleted owner.
	absentOwnerCacheSize = 500
)

// Controller is the garbage collector. Informers (one per deletable
// resource) feed a single goroutine that keeps the dependency graph; it
// queues objects that may be garbage on attemptToDelete and owners whose
// dependents must be orphaned on attemptToOrphan, and workers act on those
// queues through the API.
type Controller struct {
	client    kubernetes.Interface
	meta      metadata.Interface
	discovery discovery.DiscoveryInterface
	mapper    *restmapper.DeferredDiscoveryRESTMapper

	graph           *uidToNode
	graphChanges    workqueue.TypedRateLimitingInterface[*event]
	attemptToDelete workqueue.TypedRateLimitingInterface[*node]
	attemptToOrphan workqueue.TypedRateLimitingInterface[*node]
	// absentOwners caches owners that a GET showed to be gone (or to have
	// another uid), keyed by objectReference; namespaced owners with their
	// namespace, cluster-scoped ones without.
	absentOwners *lru.Cache

	// recorder reports ownerReferences that cannot be right while Run
	// runs.
	recorder *events.Recorder

	// ready is set once the graph holds the first lists and workers run.
	ready atomic.Bool

	monitorMu sync.Mutex
	monitors  map[schema.GroupVersionResource]*monitor
	monitorWG sync.WaitGroup
}

// monitor is the informer of one resource, stopped on its own when the
// resource leaves discovery.
type monitor struct {
	informer cache.SharedIndexInformer
	synced   cache.InformerSynced
	stop     chan struct{}
}

// New returns a garbage collector that reads and changes objects through
// meta (metadata-only requests work for every resource), finds resources
// through disc and records events through client. Call Run to start it.
// Clients should not be throttled much: collecting n dependents takes
// about 2n requests.
func New(client kubernetes.Interface, meta metadata.Interface, disc discovery.DiscoveryInterface) *Controller {
	limiter := func() workqueue.TypedRateLimiter[*node] { return workqueue.DefaultTypedControllerRateLimiter[*node]() }
	return &Controller{
		client:    client,
		meta:      meta,
		discovery: disc,
		// The mapper gets its own cached discovery client: resetting it
		// must not drop what resync compares against.
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
		graph:  &uidToNode{nodes: make(map[types.UID]*node)},
		// The queues are unnamed: a named queue would report into
		// workqueue's process-wide metrics, shared by every cluster in a
		// process.
		graphChanges:    workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[*event]()),
		attemptToDelete: workqueue.NewTypedRateLimitingQueue(limiter()),
		attemptToOrphan: workqueue.NewTypedRateLimitingQueue(limiter()),
		absentOwners:    lru.New(absentOwnerCacheSize),
		// Unlike the other controllers, upstream's garbage collector does
		// not log its events.
		recorder: events.New(client, "garbage-collector-controller", events.WithoutLogging()),
		monitors: make(map[schema.GroupVersionResource]*monitor),
	}
}

// Run collects garbage with the given number of workers per queue until
// ctx is done, and returns once its workers and informers have stopped.
// Resources are discovered at start and every 30 seconds after.
func (gc *Controller) Run(ctx context.Context, n int) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName("garbage-collector")
	ctx = klog.NewContext(ctx, logger)
	logger.V(2).Info("Starting garbage collector")
	defer logger.V(2).Info("Stopped garbage collector")

	defer gc.recorder.Start(ctx)()

	var wg sync.WaitGroup
	defer func() {
		gc.graphChanges.ShutDown()
		gc.attemptToDelete.ShutDown()
		gc.attemptToOrphan.ShutDown()
		wg.Wait()
		gc.stopMonitors()
	}()
	wg.Go(func() {
		for gc.processGraphChanges(ctx) {
		}
	})

	known := gc.resync(ctx, nil)
	syncCtx, cancel := context.WithTimeout(ctx, initialSyncTimeout)
	synced := cache.WaitForCacheSync(syncCtx.Done(), gc.isSynced)
	cancel()
	if ctx.Err() != nil {
		return
	}
	if !synced {
		logger.Info("Not all resources could be listed, collecting garbage anyway")
	}
	// Let the graph take in the lists before acting on it: an owner
	// to orphan must know all its dependents, or those it does not know
	// would be collected once it is gone.
	barrier := make(chan struct{})
	gc.graphChanges.Add(&event{barrier: barrier})
	select {
	case <-barrier:
	case <-ctx.Done():
		return
	}
	gc.ready.Store(true)
	gc.attemptToDeletePool().Start(ctx, &wg, n)
	gc.attemptToOrphanPool().Start(ctx, &wg, n)
	ticker := time.NewTicker(resyncPeriod)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			known = gc.resync(ctx, known)
		}
	}
}

// resync asks discovery for the deletable resources and, if they differ
// from known, resets the mapper and starts and stops informers to match.
// It returns the resources now watched, or known if discovery failed.
func (gc *Controller) resync(ctx context.Context, known map[schema.GroupVersionResource]struct{}) map[schema.GroupVersionResource]struct{} {
	logger := klog.FromContext(ctx)
	found, err := deletableResources(gc.discovery)
	if err != nil {
		logger.Info("Discovery failed, some resources may not be watched", "err", err)
	}
	if len(found) == 0 {
		return known
	}
	if failed, ok := discovery.GroupDiscoveryFailedErrorGroups(err); ok {
		// Keep watching what was watched in groups that failed this time.
		for gvr := range known {
			if _, failedGroup := failed[gvr.GroupVersion()]; failedGroup {
				found[gvr] = struct{}{}
			}
		}
	}
	if maps.Equal(found, known) {
		return known
	}
	gc.mapper.Reset()
	if err := gc.syncMonitors(ctx, found); err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Could not watch some resources")
		// Try again next time, even if discovery says the same.
		return nil
	}
	return found
}

// deletableResources are the preferred versions of the resources that
// support delete, list and watch; a partial result comes with its error.
func deletableResources(disc discovery.DiscoveryInterface) (map[schema.GroupVersionResource]struct{}, error) {
	lists, err := disc.ServerPreferredResources()
	out := make(map[schema.GroupVersionResource]struct{})
	for _, list := range discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete", "list", "watch"}}, lists) {
		gv, perr := schema.ParseGroupVersion(list.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			out[gv.WithResource(r.Name)] = struct{}{}
		}
	}
	return out, err
}

// syncMonitors starts an informer for each resource in resources that has
// none and stops those of resources no longer there.
func (gc *Controller) syncMonitors(ctx context.Context, resources map[schema.GroupVersionResource]struct{}) error {
	gc.monitorMu.Lock()
	defer gc.monitorMu.Unlock()
	var errs []error
	added, removed := 0, 0
	for gvr, m := range gc.monitors {
		if _, ok := resources[gvr]; !ok {
			close(m.stop)
			delete(gc.monitors, gvr)
			removed++
		}
	}
	for gvr := range resources {
		if _, ok := gc.monitors[gvr]; ok || ignored(gvr.GroupResource()) {
			continue
		}
		kind, err := gc.mapper.KindFor(gvr)
		if err != nil {
			errs = append(errs, fmt.Errorf("look up kind of %s: %w", gvr, err))
			continue
		}
		m, err := gc.newMonitor(gvr, kind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gc.monitors[gvr] = m
		gc.monitorWG.Go(func() { m.informer.RunWithContext(wait.ContextForChannel(m.stop)) })
		added++
	}
	klog.FromContext(ctx).V(4).Info("Synced resource monitors", "added", added, "removed", removed, "total", len(gc.monitors))
	return errors.Join(errs...)
}

// ignored resources are never watched: events are many, short-lived and
// nobody's owner, as upstream's defaults say.
func ignored(gr schema.GroupResource) bool {
	return gr == corev1.Resource("events") || gr == eventsv1.Resource("events")
}

// newMonitor returns an informer of gvr's metadata that feeds graphChanges.
func (gc *Controller) newMonitor(gvr schema.GroupVersionResource, kind schema.GroupVersionKind) (*monitor, error) {
	informer := newMetadataInformer(gc.meta, gvr)
	// The graph needs no managed fields; dropping them saves memory, as
	// kube-controller-manager's informers do.
	if err := informer.SetTransform(dropManagedFields); err != nil {
		return nil, fmt.Errorf("watch %s: %w", gvr, err)
	}
	send := func(t eventType, obj, oldObj *metav1.PartialObjectMetadata) {
		gc.graphChanges.Add(&event{eventType: t, obj: obj, oldObj: oldObj, gvk: kind})
	}
	reg, err := informer.AddTypedEventHandler(cache.TypedResourceEventHandlerFuncs[*metav1.PartialObjectMetadata]{
		AddFunc:    func(obj *metav1.PartialObjectMetadata) { send(addEvent, obj, nil) },
		UpdateFunc: func(oldObj, obj *metav1.PartialObjectMetadata) { send(updateEvent, obj, oldObj) },
		// A deletion whose last state is unknown has a nil OptionalObj,
		// which the builder ignores.
		DeleteFunc: func(d cache.DeletedObject[*metav1.PartialObjectMetadata]) { send(deleteEvent, d.OptionalObj, nil) },
	})
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", gvr, err)
	}
	return &monitor{informer: informer, synced: reg.HasSynced, stop: make(chan struct{})}, nil
}

func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// isSynced is true once every informer has delivered its first list.
func (gc *Controller) isSynced() bool {
	gc.monitorMu.Lock()
	defer gc.monitorMu.Unlock()
	if len(gc.monitors) == 0 {
		return false
	}
	for _, m := range gc.monitors {
		if !m.synced() {
			return false
		}
	}
	return true
}

func (gc *Controller) stopMonitors() {
	gc.monitorMu.Lock()
	for gvr, m := range gc.monitors {
		close(m.stop)
		delete(gc.monitors, gvr)
	}
	gc.monitorMu.Unlock()
	gc.monitorWG.Wait()
}

// HasSynced reports whether Run has taken in the first list of every
// resource (or given up waiting for some) and started collecting.
func (gc *Controller) HasSynced() bool { return gc.ready.Load() }
