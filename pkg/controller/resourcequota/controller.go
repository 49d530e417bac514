package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/api/quota"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "resource-quota-controller"

// DefaultResyncPeriod is how often every quota is recalculated in full,
// kube-controller-manager's --resource-quota-sync-period.
const DefaultResyncPeriod = 5 * time.Minute

// Options tune the controller; the zero value is upstream's defaults.
type Options struct {
	// ResyncPeriod is how often every quota is recalculated; 0 means
	// DefaultResyncPeriod.
	ResyncPeriod time.Duration
	// Clock tells when a deleted pod's grace period is over; nil means
	// the real clock.
	Clock quota.Clock
}

// Controller keeps quotas' status.
type Controller struct {
	client   kubernetes.Interface
	quotas   corelisters.ResourceQuotaLister
	registry quotav1.Registry
	counts   *counters
	clock    quota.Clock
	resync   time.Duration
	loop     workers.Loop[string]
}

// New returns a controller that watches quotas, pods, Services and claims
// through factory, and the other resources quotas count through meta
// (found with disc) as quotas come to name them; the caller starts
// factory and calls Run.
func New(client kubernetes.Interface, meta metadata.Interface, disc discovery.DiscoveryInterface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	if opts.ResyncPeriod <= 0 {
		opts.ResyncPeriod = DefaultResyncPeriod
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	quotas := factory.Core().V1().ResourceQuotas()
	pods := factory.Core().V1().Pods()
	services := factory.Core().V1().Services()
	claims := factory.Core().V1().PersistentVolumeClaims()
	listers := generic.ListerFuncForResourceFunc(factory.ForResource)
	c := &Controller{
		client: client,
		quotas: quotas.Lister(),
		registry: generic.NewRegistry([]quotav1.Evaluator{
			quota.NewPodEvaluator(generic.ListResourceUsingListerFunc(listers, corev1.SchemeGroupVersion.WithResource("pods")), opts.Clock),
			quota.NewServiceEvaluator(generic.ListResourceUsingListerFunc(listers, corev1.SchemeGroupVersion.WithResource("services"))),
			quota.NewPersistentVolumeClaimEvaluator(generic.ListResourceUsingListerFunc(listers, corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"))),
		}),
		clock:  opts.Clock,
		resync: opts.ResyncPeriod,
	}
	c.counts = newCounters(meta, disc, c.replenish)
	synced, err := eventhandlers.Add(
		eventhandlers.For("resourcequota", quotas.TypedInformer(), coreinformers.ResourceQuotaHandlerFuncs{
			AddFunc: c.enqueue,
			UpdateFunc: func(old, cur *corev1.ResourceQuota) {
				// Status updates are this controller's and admission's;
				// only new limits call for a recalculation.
				if !quotav1.Equals(old.Spec.Hard, cur.Spec.Hard) {
					c.enqueue(cur)
				}
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			UpdateFunc: func(old, cur *corev1.Pod) { c.replenishIfChanged(corev1.Resource("pods"), old, cur, cur.Namespace) },
			DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
				c.replenish(corev1.Resource("pods"), d.GetObjectName().Namespace)
			},
		}),
		eventhandlers.For("service", services.TypedInformer(), coreinformers.ServiceHandlerFuncs{
			UpdateFunc: func(old, cur *corev1.Service) {
				c.replenishIfChanged(corev1.Resource("services"), old, cur, cur.Namespace)
			},
			DeleteFunc: func(d cache.DeletedObject[*corev1.Service]) {
				c.replenish(corev1.Resource("services"), d.GetObjectName().Namespace)
			},
		}),
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			UpdateFunc: func(old, cur *corev1.PersistentVolumeClaim) {
				c.replenishIfChanged(corev1.Resource("persistentvolumeclaims"), old, cur, cur.Namespace)
			},
			DeleteFunc: func(d cache.DeletedObject[*corev1.PersistentVolumeClaim]) {
				c.replenish(corev1.Resource("persistentvolumeclaims"), d.GetObjectName().Namespace)
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
				workqueue.TypedRateLimitingQueueConfig[string]{Name: "resourcequota_primary"}),
			Sync: c.sync, Expected: workers.LostRace,
			ErrorMessage: "Failed to sync resource quota", ItemKey: "key",
		},
		Name: Name, Title: "resource quota controller", Synced: synced,
		Ready: func(ctx context.Context) {
			// The full recalculation, now (the first) and every period.
			go wait.UntilWithContext(ctx, func(context.Context) { c.enqueueAll() }, c.resync)
		},
	}
	return c, nil
}

// Run keeps quotas' status with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) {
	defer c.counts.wait()
	c.counts.start(ctx)
	c.loop.Run(ctx, n)
}

func (c *Controller) enqueue(q *corev1.ResourceQuota) {
	key, err := cache.MetaNamespaceKeyFunc(q)
	if err != nil {
		return
	}
	c.loop.Queue.Add(key)
}

func (c *Controller) enqueueAll() {
	all, err := c.quotas.List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range all {
		c.enqueue(q)
	}
}

func (c *Controller) replenishIfChanged(gr schema.GroupResource, old, cur any, namespace string) {
	if quota.ChangesUsage(gr, old, cur, c.clock) {
		c.replenish(gr, namespace)
	}
}

// replenish queues the quotas of namespace that limit something gr's
// evaluator measures, after an object of gr changed or went.
func (c *Controller) replenish(gr schema.GroupResource, namespace string) {
	evaluator := c.registry.Get(gr)
	if evaluator == nil {
		return
	}
	quotas, err := c.quotas.ResourceQuotas(namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range quotas {
		if len(evaluator.MatchingResources(quotav1.ResourceNames(q.Status.Hard))) > 0 {
			c.enqueue(q)
		}
	}
}

func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	q, err := c.quotas.ResourceQuotas(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	// Object counts of resources no evaluator knows yet get one, watching
	// that resource from now on.
	ensureErr := c.counts.ensure(ctx, c.registry, quotav1.ResourceNames(q.Spec.Hard))
	status, dirty, calcErr := computeStatus(q, c.registry)
	var errs []error
	if ensureErr != nil {
		errs = append(errs, ensureErr)
	}
	if calcErr != nil {
		// Keep what could be counted, and retry the rest.
		errs = append(errs, calcErr)
	}
	if dirty {
		update := q.DeepCopy()
		update.Status = status
		if _, err := c.client.CoreV1().ResourceQuotas(namespace).UpdateStatus(ctx, update, metav1.UpdateOptions{}); err != nil {
			errs = append(errs, err)
		} else {
			klog.FromContext(ctx).V(2).Info("Updated resource quota status", "resourceQuota", klog.KObj(q), "used", status.Used)
		}
	}
	return utilerrors.NewAggregate(errs)
}

// computeStatus is the status q should have: hard its spec's limits, used
// what registry measures in its namespace for each of them (scopes and
// scope selector applied), keeping the last observed value of a resource
// that could not be measured now and dropping any no limit names. dirty
// says whether that differs from q's status; err tells what could not be
// measured.
func computeStatus(q *corev1.ResourceQuota, registry quotav1.Registry) (status corev1.ResourceQuotaStatus, dirty bool, err error) {
	dirty = !apiequality.Semantic.DeepEqual(q.Spec.Hard, q.Status.Hard) || q.Status.Hard == nil || q.Status.Used == nil
	used := corev1.ResourceList{}
	if q.Status.Used != nil {
		used = quotav1.Add(corev1.ResourceList{}, q.Status.Used)
	}
	hard := quotav1.Add(corev1.ResourceList{}, q.Spec.Hard)
	measured, err := quotav1.CalculateUsage(q.Namespace, q.Spec.Scopes, hard, registry, q.Spec.ScopeSelector)
	for name, v := range measured {
		used[name] = v
	}
	used = quotav1.Mask(used, quotav1.ResourceNames(hard))
	status = corev1.ResourceQuotaStatus{Hard: hard, Used: used}
	dirty = dirty || !quotav1.Equals(status.Used, q.Status.Used)
	return status, dirty, err
}

// counters are the object count evaluators of the resources with no
// evaluator of their own, each over a metadata informer of its own
// started when a quota first names the resource.
type counters struct {
	meta      metadata.Interface
	disc      discovery.DiscoveryInterface
	replenish func(gr schema.GroupResource, namespace string)

	mu      sync.Mutex
	ctx     context.Context
	wg      sync.WaitGroup
	started map[schema.GroupResource]bool
	// lastDiscovery is when discovery was last read, so that names of
	// resources the API does not serve do not send every sync to it.
	lastDiscovery time.Time
	served        map[schema.GroupResource]schema.GroupVersionResource
}

// rediscoverAfter is how old the list of served resources may be before a
// name it lacks makes the controller read discovery again.
const rediscoverAfter = 10 * time.Second

func newCounters(meta metadata.Interface, disc discovery.DiscoveryInterface, replenish func(schema.GroupResource, string)) *counters {
	return &counters{meta: meta, disc: disc, replenish: replenish, started: map[schema.GroupResource]bool{}}
}

// start gives the informers started later their lifetime.
func (c *counters) start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctx = ctx
}

// wait waits for the informers to stop, once ctx is done.
func (c *counters) wait() { c.wg.Wait() }

// ensure adds to registry an object count evaluator for each resource
// names count (count/<resource>.<group> or a legacy name) that has none
// and that the API serves, ignored resources aside.
func (c *counters) ensure(ctx context.Context, registry quotav1.Registry, names []corev1.ResourceName) error {
	ignored := quota.IgnoredResources()
	legacy := quota.LegacyCounts()
	var errs []error
	for _, name := range names {
		gr, alias, ok := countedResource(name, legacy)
		if !ok || registry.Get(gr) != nil {
			continue
		}
		if _, skip := ignored[gr]; skip {
			continue
		}
		gvr, found, err := c.lookup(gr)
		if err != nil {
			errs = append(errs, err)
		}
		if !found {
			continue
		}
		if err := c.watch(ctx, registry, gvr, alias); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// countedResource is the resource a quota name counts objects of, and
// its legacy name if it has one.
func countedResource(name corev1.ResourceName, legacy map[schema.GroupResource]corev1.ResourceName) (schema.GroupResource, corev1.ResourceName, bool) {
	for gr, alias := range legacy {
		if name == alias || name == generic.ObjectCountQuotaResourceNameFor(gr) {
			return gr, alias, true
		}
	}
	rest, ok := strings.CutPrefix(string(name), "count/")
	if !ok || rest == "" {
		return schema.GroupResource{}, "", false
	}
	return schema.ParseGroupResource(rest), "", true
}

// lookup finds the preferred version of a namespaced resource the API
// serves with list and watch.
func (c *counters) lookup(gr schema.GroupResource) (schema.GroupVersionResource, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gvr, ok := c.served[gr]; ok {
		return gvr, true, nil
	}
	if c.served != nil && time.Since(c.lastDiscovery) < rediscoverAfter {
		return schema.GroupVersionResource{}, false, nil
	}
	lists, err := c.disc.ServerPreferredNamespacedResources()
	c.lastDiscovery = time.Now()
	if len(lists) == 0 && err != nil {
		return schema.GroupVersionResource{}, false, fmt.Errorf("discover resources: %w", err)
	}
	served := map[schema.GroupResource]schema.GroupVersionResource{}
	for _, list := range lists {
		gv, perr := schema.ParseGroupVersion(list.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range list.APIResources {
			if !hasVerbs(r.Verbs, "list", "watch") {
				continue
			}
			served[gv.WithResource(r.Name).GroupResource()] = gv.WithResource(r.Name)
		}
	}
	c.served = served
	gvr, ok := served[gr]
	return gvr, ok, nil
}

func hasVerbs(have metav1.Verbs, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// watch starts a metadata informer of gvr and registers its object count
// evaluator, which lists from it (and fails until it has synced).
func (c *counters) watch(ctx context.Context, registry quotav1.Registry, gvr schema.GroupVersionResource, alias corev1.ResourceName) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	gr := gvr.GroupResource()
	if c.started[gr] {
		return nil
	}
	if c.ctx == nil {
		return errors.New("quota counters not started")
	}
	informer := newMetadataInformer(c.meta, gvr)
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if m, ok := obj.(metav1.Object); ok {
				c.replenish(gr, m.GetNamespace())
			}
		},
	}); err != nil {
		return err
	}
	run := c.ctx
	c.wg.Go(func() { informer.RunWithContext(run) })
	c.started[gr] = true
	lister := cache.NewGenericLister(informer.GetIndexer(), gr)
	synced := informer.HasSynced
	list := func(namespace string) ([]runtimeObject, error) {
		if !synced() {
			return nil, fmt.Errorf("%v not yet synced", gvr)
		}
		return lister.ByNamespace(namespace).List(labels.Everything())
	}
	registry.Add(generic.NewObjectCountEvaluator(gr, list, alias))
	klog.FromContext(ctx).V(2).Info("Counting objects for quota", "resource", gr.String())
	return nil
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
