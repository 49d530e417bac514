package loadbalancer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

const (
	// Finalizer is the upstream service controller's finalizer: a Service
	// that holds addresses is not removed before they are released.
	Finalizer = "service.kubernetes.io/load-balancer-cleanup"

	// eventSource is the upstream service controller's event source.
	eventSource = "service-controller"

	// Upstream's retry delays for a Service that failed to sync.
	minRetryDelay = 5 * time.Second
	maxRetryDelay = 300 * time.Second
)

// Controller assigns LoadBalancer ingress IPs to Services and releases them.
type Controller struct {
	client kubernetes.Interface
	lister corelisters.ServiceLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	pools  allocator.AddrPools

	// mu guards assigned, what each Service (by namespace/name) holds.
	mu       sync.Mutex
	assigned map[string]*assignment

	// events records while Run runs.
	events *events.Recorder
}

// assignment is what one Service holds.
type assignment struct {
	// svc is the Service as last seen: the one a Service deleted without
	// the finalizer is reported on, and whose UID tells a new Service of
	// the same name apart.
	svc *corev1.Service
	// addrs are in ingress order, at most one per family.
	addrs []netip.Addr
}

// New returns a controller that watches Services through factory and
// hands out addresses of ranges (--load-balancer-ip-range: one, or one per
// IP family, the first being the family of Services without
// spec.ipFamilies); the caller starts factory and calls Run. It fails for
// ranges it cannot hand out, or if its event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, ranges []netip.Prefix) (*Controller, error) {
	pools, err := allocator.NewAddrPools(ranges)
	if err != nil {
		return nil, fmt.Errorf("load balancer IP ranges: %w", err)
	}
	informer := factory.Core().V1().Services()
	c := &Controller{
		client: client,
		lister: informer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueue(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](minRetryDelay, maxRetryDelay)),
		pools:    pools,
		assigned: map[string]*assignment{},
		events:   events.New(client, eventSource),
	}
	synced, err := eventhandlers.Add(eventhandlers.For("service", informer.TypedInformer(), coreinformers.ServiceHandlerFuncs{
		AddFunc: func(svc *corev1.Service) {
			// needsCleanup picks up what changed while no controller ran.
			if wantsLoadBalancer(svc) || needsCleanup(svc) {
				c.enqueue(svc)
			}
		},
		UpdateFunc: func(old, cur *corev1.Service) {
			if c.needsUpdate(old, cur) || needsCleanup(cur) {
				c.enqueue(cur)
			}
		},
		// Upstream needs no delete handler: its finalizer turns a delete
		// into an update. One that was forced past the finalizer still
		// leaves addresses to release.
		DeleteFunc: func(d coreinformers.DeletedService) {
			if key := d.GetKey(); c.holds(key) {
				c.queue.Add(key)
			}
		},
	}))
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// enqueue queues svc's key.
func (c *Controller) enqueue(svc *corev1.Service) { c.queue.Add(cache.MetaObjectToName(svc).String()) }

// wantsLoadBalancer is upstream's: type LoadBalancer and no class, since a
// class names another implementation.
func wantsLoadBalancer(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass == nil
}

func hasFinalizer(svc *corev1.Service) bool {
	return slices.Contains(svc.Finalizers, Finalizer)
}

// needsCleanup is upstream's: the Service holds the finalizer but is being
// deleted or is no longer of type LoadBalancer.
func needsCleanup(svc *corev1.Service) bool {
	return hasFinalizer(svc) && (svc.DeletionTimestamp != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer)
}

// Run relearns the addresses Services hold, then processes Services with
// the given number of workers until ctx is done, and returns once they have
// all stopped.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: c.queue, Sync: c.sync,
			ErrorMessage: "Error processing service (will retry)", ItemKey: "service"},
		Name:   "loadbalancer-controller",
		Title:  "LoadBalancer controller",
		Synced: c.synced,
		Events: c.events,
		Ready:  c.relearn,
	}
	loop.Run(ctx, n)
}

// relearn takes the in-range ingress addresses of the Services this
// controller serves, or holds the finalizer of, as theirs, before anything
// is handed out. Should two claim one address, the older Service keeps it
// and the other is given another when it syncs.
func (c *Controller) relearn(ctx context.Context) {
	logger := klog.FromContext(ctx)
	svcs, err := c.lister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Could not list services to relearn their load balancer IPs")
		return
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, svc := range svcs {
		if !wantsLoadBalancer(svc) && !hasFinalizer(svc) {
			continue
		}
		var addrs []netip.Addr
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			a, err := netip.ParseAddr(ing.IP)
			if err != nil {
				continue
			}
			a = a.Unmap()
			pool := c.pools.ForAddr(a)
			if pool == nil || slices.ContainsFunc(addrs, func(b netip.Addr) bool { return allocator.FamilyOf(b) == allocator.FamilyOf(a) }) {
				continue
			}
			if err := pool.Allocate(a); err != nil {
				logger.Info("Load balancer IP already held by another Service", "service", klog.KObj(svc), "ip", a)
				continue
			}
			addrs = append(addrs, a)
		}
		if len(addrs) > 0 {
			c.assigned[serviceKey(svc)] = &assignment{svc: svc, addrs: addrs}
			logger.V(4).Info("Relearned load balancer IPs", "service", klog.KObj(svc), "ips", addrs)
		}
	}
}

func serviceKey(svc *corev1.Service) string { return svc.Namespace + "/" + svc.Name }

func (c *Controller) sync(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() { logger.V(4).Info("Finished syncing service", "service", key, "duration", time.Since(start)) }()

	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.lister.Services(namespace).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		// Gone without the finalizer's round trip.
		if old := c.assignment(key); old != nil {
			c.deleteLoadBalancer(ctx, key, old.svc)
		}
		return nil
	case err != nil:
		return err
	}
	if old := c.assignment(key); old != nil && old.svc.UID != svc.UID {
		// Deleted and created again: the old Service's addresses are free.
		c.deleteLoadBalancer(ctx, key, old.svc)
	}
	if err := c.syncLoadBalancer(ctx, key, svc); err != nil {
		c.event(svc, corev1.EventTypeWarning, "SyncLoadBalancerFailed", "Error syncing load balancer: "+err.Error())
		return err
	}
	return nil
}

// syncLoadBalancer gives svc its addresses, or takes them back, and writes
// the result to its status.
func (c *Controller) syncLoadBalancer(ctx context.Context, key string, svc *corev1.Service) error {
	logger := klog.FromContext(ctx)
	var status corev1.LoadBalancerStatus
	if !wantsLoadBalancer(svc) || needsCleanup(svc) {
		if c.holds(key) {
			logger.V(2).Info("Deleting existing load balancer for service", "service", key)
			c.event(svc, corev1.EventTypeNormal, "DeletingLoadBalancer", "Deleting load balancer")
			c.release(ctx, key)
		}
		if err := c.removeFinalizer(ctx, svc); err != nil {
			return fmt.Errorf("failed to remove load balancer cleanup finalizer: %w", err)
		}
		// Upstream reports this even when there was nothing to delete.
		c.event(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
	} else {
		logger.V(2).Info("Ensuring load balancer for service", "service", key)
		c.event(svc, corev1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
		if err := c.addFinalizer(ctx, svc); err != nil {
			return fmt.Errorf("failed to add load balancer cleanup finalizer: %w", err)
		}
		addrs, err := c.ensure(ctx, key, svc)
		if err != nil {
			return fmt.Errorf("failed to ensure load balancer: %w", err)
		}
		status = ingressStatus(addrs)
		c.event(svc, corev1.EventTypeNormal, "EnsuredLoadBalancer", "Ensured load balancer")
	}
	if err := c.patchStatus(ctx, svc, status); err != nil && !apierrors.IsNotFound(err) {
		// Not found: the Service went as soon as its finalizer did.
		return fmt.Errorf("failed to update load balancer status: %w", err)
	}
	return nil
}

// ingressStatus is one VIP ingress per address, in order.
func ingressStatus(addrs []netip.Addr) corev1.LoadBalancerStatus {
	var st corev1.LoadBalancerStatus
	for _, a := range addrs {
		st.Ingress = append(st.Ingress, corev1.LoadBalancerIngress{IP: a.String(), IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)})
	}
	return st
}

// deleteLoadBalancer releases what key holds, reporting on svc, the
// Service as last seen, as upstream reports deleting the load balancer of
// a Service that went without its finalizer.
func (c *Controller) deleteLoadBalancer(ctx context.Context, key string, svc *corev1.Service) {
	c.event(svc, corev1.EventTypeNormal, "DeletingLoadBalancer", "Deleting load balancer")
	c.release(ctx, key)
	c.event(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
}

// release frees what key holds and wakes the Services waiting for an
// address.
func (c *Controller) release(ctx context.Context, key string) {
	c.mu.Lock()
	a := c.assigned[key]
	delete(c.assigned, key)
	c.mu.Unlock()
	if a == nil {
		return
	}
	for _, addr := range a.addrs {
		if p := c.pools.ForAddr(addr); p != nil {
			p.Release(addr)
		}
	}
	klog.FromContext(ctx).V(2).Info("Released load balancer IPs", "service", key, "ips", a.addrs)
	c.wakePending()
}

// wakePending queues the Services that want an address and hold none:
// one may be waiting for the address just released, and should not wait
// out its retry delay.
func (c *Controller) wakePending() {
	svcs, err := c.lister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, svc := range svcs {
		if wantsLoadBalancer(svc) && svc.DeletionTimestamp == nil && !c.holds(serviceKey(svc)) {
			c.queue.Add(serviceKey(svc))
		}
	}
}

func (c *Controller) assignment(key string) *assignment {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.assigned[key]
}

func (c *Controller) holds(key string) bool {
	return c.assignment(key) != nil
}

// families is the IP families svc gets addresses of: spec.ipFamilies in
// order. An empty spec.ipFamilies (a Service stored before the API server
// defaulted it) counts as the family of spec.loadBalancerIP, else of the
// first range.
func (c *Controller) families(svc *corev1.Service, requested netip.Addr) []allocator.Family {
	if len(svc.Spec.IPFamilies) == 0 {
		if requested.IsValid() {
			return []allocator.Family{allocator.FamilyOf(requested)}
		}
		return []allocator.Family{c.pools[0].Family()}
	}
	var out []allocator.Family
	for _, f := range svc.Spec.IPFamilies {
		if !slices.Contains(out, allocator.Family(f)) {
			out = append(out, allocator.Family(f))
		}
	}
	return out
}

// ensure works out the addresses svc should hold, keeping what it holds
// where it can, all or nothing, and records them as its.
func (c *Controller) ensure(ctx context.Context, key string, svc *corev1.Service) ([]netip.Addr, error) {
	var requested netip.Addr
	if s := svc.Spec.LoadBalancerIP; s != "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("spec.loadBalancerIP %q is not an IP address", s)
		}
		requested = a.Unmap()
	}
	families := c.families(svc, requested)
	if requested.IsValid() {
		f := allocator.FamilyOf(requested)
		switch {
		case !slices.Contains(families, f):
			return nil, fmt.Errorf("spec.loadBalancerIP %s is not of the Service's IP families %v", requested, families)
		case c.pools.Family(f) == nil:
			return nil, fmt.Errorf("spec.loadBalancerIP %s: there is no %s --load-balancer-ip-range", requested, f)
		}
	}

	var held []netip.Addr
	if a := c.assignment(key); a != nil {
		held = a.addrs
	}
	var want, taken []netip.Addr
	fail := func(err error) ([]netip.Addr, error) {
		for _, a := range taken {
			c.pools.ForAddr(a).Release(a)
		}
		return nil, err
	}
	var noRange []allocator.Family
	for _, f := range families {
		pool := c.pools.Family(f)
		if pool == nil {
			noRange = append(noRange, f)
			continue
		}
		cur := netip.Addr{}
		if i := slices.IndexFunc(held, func(a netip.Addr) bool { return allocator.FamilyOf(a) == f }); i >= 0 {
			cur = held[i]
		}
		switch {
		case requested.IsValid() && allocator.FamilyOf(requested) == f && cur != requested:
			if err := pool.Allocate(requested); err != nil {
				var nir *allocator.NotInRangeError
				if errors.As(err, &nir) {
					return fail(fmt.Errorf("spec.loadBalancerIP %s is not in --load-balancer-ip-range %s", requested, pool.Prefix()))
				}
				return fail(fmt.Errorf("spec.loadBalancerIP %s: %w", requested, err))
			}
			taken = append(taken, requested)
			want = append(want, requested)
		case cur.IsValid():
			want = append(want, cur)
		default:
			a, err := pool.AllocateNext()
			if err != nil {
				return fail(fmt.Errorf("no %s address left in --load-balancer-ip-range %s: %w", f, pool.Prefix(), err))
			}
			taken = append(taken, a)
			want = append(want, a)
		}
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("there is no --load-balancer-ip-range for the Service's IP families %v", noRange)
	}
	if len(noRange) > 0 {
		klog.FromContext(ctx).V(4).Info("No load balancer IP range for some of the Service's IP families", "service", key, "families", noRange)
	}
	for _, a := range held {
		if !slices.Contains(want, a) {
			c.pools.ForAddr(a).Release(a)
		}
	}
	c.mu.Lock()
	c.assigned[key] = &assignment{svc: svc, addrs: want}
	c.mu.Unlock()
	if len(taken) > 0 {
		klog.FromContext(ctx).V(2).Info("Assigned load balancer IPs", "service", key, "ips", want)
	}
	return want, nil
}

// addFinalizer adds the cleanup finalizer through services/status, as
// upstream does.
func (c *Controller) addFinalizer(ctx context.Context, svc *corev1.Service) error {
	if hasFinalizer(svc) {
		return nil
	}
	updated := svc.DeepCopy()
	updated.Finalizers = append(updated.Finalizers, Finalizer)
	return c.patch(ctx, svc, updated)
}

func (c *Controller) removeFinalizer(ctx context.Context, svc *corev1.Service) error {
	if !hasFinalizer(svc) {
		return nil
	}
	updated := svc.DeepCopy()
	updated.Finalizers = slices.DeleteFunc(updated.Finalizers, func(f string) bool { return f == Finalizer })
	return c.patch(ctx, svc, updated)
}

// patchStatus writes status.loadBalancer if it changed.
func (c *Controller) patchStatus(ctx context.Context, svc *corev1.Service, status corev1.LoadBalancerStatus) error {
	if apiequality.Semantic.DeepEqual(svc.Status.LoadBalancer.Ingress, status.Ingress) {
		return nil
	}
	updated := svc.DeepCopy()
	updated.Status.LoadBalancer = status
	klog.FromContext(ctx).V(2).Info("Patching status for service", "service", klog.KObj(svc), "ingress", status.Ingress)
	return c.patch(ctx, svc, updated)
}

// patch sends the metadata and status difference between old and updated
// as a strategic merge patch to services/status, as upstream's
// PatchService: the spec is never touched.
func (c *Controller) patch(ctx context.Context, old, updated *corev1.Service) error {
	updated.Spec = old.Spec
	oldJSON, err := json.Marshal(old)
	if err != nil {
		return err
	}
	newJSON, err := json.Marshal(updated)
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, corev1.Service{})
	if err != nil {
		return fmt.Errorf("create patch for service %s: %w", serviceKey(old), err)
	}
	_, err = c.client.CoreV1().Services(old.Namespace).Patch(ctx, old.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

func (c *Controller) event(svc *corev1.Service, eventType, reason, message string) {
	c.events.Event(svc, eventType, reason, message)
}

func (c *Controller) eventf(svc *corev1.Service, eventType, reason, format string, args ...any) {
	c.events.Eventf(svc, eventType, reason, format, args...)
}
