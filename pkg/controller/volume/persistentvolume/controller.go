package persistentvolume

import (
	"context"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "persistentvolume-binder-controller"

// eventSource is the component upstream's events come from.
const eventSource = "persistentvolume-controller"

// DefaultResyncPeriod is how often every claim and volume is synced again,
// upstream's --pvclaimbinder-sync-period: a claim waits for a volume that
// fits it no longer than this.
const DefaultResyncPeriod = 15 * time.Second

// item is one thing to sync: a claim (namespace/name) or a volume (name).
type item struct {
	volume bool
	key    string
}

// Controller binds claims to volumes.
type Controller struct {
	client  kubernetes.Interface
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
	pods    corelisters.PodLister
	events  *events.Recorder
	loop    workers.Loop[item]
	resync  time.Duration
	now     func() time.Time

	// written holds the objects this controller wrote, until the
	// informers show them (or newer): a sync right after a write reads its
	// result, not the informer's older copy, as upstream's own caches.
	mu             sync.Mutex
	writtenClaims  map[string]*corev1.PersistentVolumeClaim
	writtenVolumes map[string]*corev1.PersistentVolume
}

// Option changes what New makes.
type Option func(*Controller)

// WithResyncPeriod sets how often everything is synced again.
func WithResyncPeriod(d time.Duration) Option { return func(c *Controller) { c.resync = d } }

// New returns a controller that watches claims, volumes, classes and pods
// through factory; the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts ...Option) (*Controller, error) {
	claims := factory.Core().V1().PersistentVolumeClaims()
	volumes := factory.Core().V1().PersistentVolumes()
	classes := factory.Storage().V1().StorageClasses()
	pods := factory.Core().V1().Pods()
	c := &Controller{
		client: client, claims: claims.Lister(), volumes: volumes.Lister(), classes: classes.Lister(), pods: pods.Lister(),
		events: events.New(client, eventSource), resync: DefaultResyncPeriod, now: time.Now,
		writtenClaims: map[string]*corev1.PersistentVolumeClaim{}, writtenVolumes: map[string]*corev1.PersistentVolume{},
	}
	for _, o := range opts {
		o(c)
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			AddFunc:    c.enqueueClaim,
			UpdateFunc: func(_, claim *corev1.PersistentVolumeClaim) { c.enqueueClaim(claim) },
			DeleteFunc: func(d cache.DeletedObject[*corev1.PersistentVolumeClaim]) {
				c.forgetClaim(d.GetKey())
				c.loop.Queue.Add(item{key: d.GetKey()})
				// Its volume is released.
				if claim := d.OptionalObj; claim != nil && claim.Spec.VolumeName != "" {
					c.loop.Queue.Add(item{volume: true, key: claim.Spec.VolumeName})
				}
			},
		}),
		eventhandlers.For("persistentvolume", volumes.TypedInformer(), coreinformers.PersistentVolumeHandlerFuncs{
			AddFunc: func(pv *corev1.PersistentVolume) { c.enqueueVolume(pv, true) },
			UpdateFunc: func(old, pv *corev1.PersistentVolume) {
				c.enqueueVolume(pv, old.Status.Phase != corev1.VolumeAvailable && pv.Status.Phase == corev1.VolumeAvailable)
			},
			DeleteFunc: func(d cache.DeletedObject[*corev1.PersistentVolume]) {
				c.forgetVolume(d.GetKey())
				if pv := d.OptionalObj; pv != nil && pv.Spec.ClaimRef != nil {
					// Its claim is lost.
					c.loop.Queue.Add(item{key: pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name})
				}
			},
		}),
		eventhandlers.For("storageclass", classes.TypedInformer(), storageinformers.StorageClassHandlerFuncs{
			AddFunc: func(*storagev1.StorageClass) { c.enqueuePendingClaims() },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[item]{
		Pool: workers.Pool[item]{
			Queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[item]()),
			Sync:  c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing persistent volume or claim", ItemKey: "item",
		},
		Name: Name, Title: "persistent volume controller", Synced: synced, Events: c.events,
		Ready: func(ctx context.Context) { go c.resyncLoop(ctx) },
	}
	return c, nil
}

// Run binds with n workers until ctx is done. Upstream runs one worker for
// claims and one for volumes; every write here is conditional on the
// resourceVersion read, so more workers cannot bind one volume twice.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) sync(ctx context.Context, it item) error {
	if it.volume {
		return c.syncVolumeKey(ctx, it.key)
	}
	return c.syncClaimKey(ctx, it.key)
}

func (c *Controller) enqueueClaim(claim *corev1.PersistentVolumeClaim) {
	if key, err := cache.MetaNamespaceKeyFunc(claim); err == nil {
		c.loop.Queue.Add(item{key: key})
	}
}

// enqueueVolume syncs pv and, when it has just become Available (or is
// new), the pending claims that may now bind to it: upstream waits for the
// next resync for these.
func (c *Controller) enqueueVolume(pv *corev1.PersistentVolume, available bool) {
	c.loop.Queue.Add(item{volume: true, key: pv.Name})
	if pv.Spec.ClaimRef != nil {
		c.loop.Queue.Add(item{key: pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name})
	}
	if available {
		c.enqueuePendingClaims()
	}
}

func (c *Controller) enqueuePendingClaims() {
	all, err := c.claims.List(labels.Everything())
	if err != nil {
		return
	}
	for _, claim := range all {
		if claim.Spec.VolumeName == "" {
			c.enqueueClaim(claim)
		}
	}
}

// resyncLoop queues every claim and volume each resync period, as
// upstream's resync.
func (c *Controller) resyncLoop(ctx context.Context) {
	t := time.NewTicker(c.resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if claims, err := c.claims.List(labels.Everything()); err == nil {
			for _, claim := range claims {
				c.enqueueClaim(claim)
			}
		}
		if volumes, err := c.volumes.List(labels.Everything()); err == nil {
			for _, pv := range volumes {
				c.loop.Queue.Add(item{volume: true, key: pv.Name})
			}
		}
	}
}

// newer reports whether resourceVersion a is after b; versions that are
// not numbers are never newer.
func newer(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

// claim returns the freshest claim of key this controller knows: the
// informer's, or its own last write if that is newer. nil if neither has it.
func (c *Controller) claim(key string) *corev1.PersistentVolumeClaim {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	if err != nil {
		cached = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.writtenClaims[key]
	if !ok {
		return cached
	}
	if cached == nil || (cached.UID == w.UID && newer(w.ResourceVersion, cached.ResourceVersion)) {
		if cached == nil && w.DeletionTimestamp != nil {
			return nil
		}
		return w
	}
	delete(c.writtenClaims, key)
	return cached
}

func (c *Controller) volume(name string) *corev1.PersistentVolume {
	cached, err := c.volumes.Get(name)
	if err != nil {
		cached = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.writtenVolumes[name]
	if !ok {
		return cached
	}
	if cached == nil || (cached.UID == w.UID && newer(w.ResourceVersion, cached.ResourceVersion)) {
		if cached == nil {
			// Deleted since the write: the informer knows best.
			delete(c.writtenVolumes, name)
			return nil
		}
		return w
	}
	delete(c.writtenVolumes, name)
	return cached
}

// allVolumes lists the volumes, each in its freshest version.
func (c *Controller) allVolumes() ([]*corev1.PersistentVolume, error) {
	cached, err := c.volumes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*corev1.PersistentVolume, 0, len(cached))
	for _, pv := range cached {
		if w, ok := c.writtenVolumes[pv.Name]; ok && w.UID == pv.UID && newer(w.ResourceVersion, pv.ResourceVersion) {
			pv = w
		}
		out = append(out, pv)
	}
	return out, nil
}

func (c *Controller) wroteClaim(claim *corev1.PersistentVolumeClaim) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writtenClaims[claim.Namespace+"/"+claim.Name] = claim
}

func (c *Controller) wroteVolume(pv *corev1.PersistentVolume) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writtenVolumes[pv.Name] = pv
}

func (c *Controller) forgetClaim(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.writtenClaims, key)
}

func (c *Controller) forgetVolume(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.writtenVolumes, name)
}
