package cronjob

import (
	"context"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "cronjob-controller"

var kind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// Controller runs CronJobs.
type Controller struct {
	client   kubernetes.Interface
	clock    clock.WithDelayedExecution
	cronJobs batchlisters.CronJobLister
	jobs     batchlisters.JobLister
	events   *events.Recorder
	alarms   *alarms
	written  statusWrites
	loop     workers.Loop[string]
}

// New returns a controller that watches CronJobs and Jobs through factory;
// the caller starts factory and calls Run. It fails if an event handler
// cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	opts = opts.complete()
	cronJobs := factory.Batch().V1().CronJobs()
	jobs := factory.Batch().V1().Jobs()
	c := &Controller{
		client:   client,
		clock:    opts.Clock,
		cronJobs: cronJobs.Lister(),
		jobs:     jobs.Lister(),
		events:   events.New(client, Name),
	}
	// The queue's own delays (retries) run on the real clock; the wake-ups
	// at start times run on opts.Clock, so that a fake clock drives only
	// the schedules.
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	c.alarms = &alarms{clock: opts.Clock, fire: queue.Add}
	synced, err := eventhandlers.Add(
		eventhandlers.For("cronjob", cronJobs.TypedInformer(), batchinformers.CronJobHandlerFuncs{
			AddFunc:    c.enqueue,
			UpdateFunc: c.updateCronJob,
			DeleteFunc: func(d cache.DeletedObject[*batchv1.CronJob]) { queue.Add(d.GetKey()) },
		}),
		eventhandlers.For("job", jobs.TypedInformer(), batchinformers.JobHandlerFuncs{
			AddFunc: c.enqueueOwner,
			UpdateFunc: func(old, j *batchv1.Job) {
				if old.ResourceVersion == j.ResourceVersion {
					return
				}
				if o, n := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(j); o != nil && (n == nil || o.UID != n.UID) {
					c.enqueueOwner(old)
				}
				c.enqueueOwner(j)
			},
			DeleteFunc: func(d cache.DeletedObject[*batchv1.Job]) {
				if d.OptionalObj != nil {
					c.enqueueOwner(d.OptionalObj)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: queue, Sync: c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing CronJobController", ItemKey: "cronjob",
		},
		Name: Name, Title: "cronjob controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run syncs CronJobs with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) {
	defer c.alarms.stop()
	c.loop.Run(ctx, n)
}

func (c *Controller) enqueue(cj *batchv1.CronJob) {
	if key, err := cache.MetaNamespaceKeyFunc(cj); err == nil {
		c.loop.Queue.Add(key)
	}
}

// enqueueAfter wakes cj's sync after d on the controller's clock.
func (c *Controller) enqueueAfter(cj *batchv1.CronJob, d time.Duration) {
	if key, err := cache.MetaNamespaceKeyFunc(cj); err == nil {
		c.alarms.set(key, d)
	}
}

// updateCronJob syncs cj now, or, if its schedule or zone changed, at its
// new next start time, as upstream's: a sync now would not start a Job
// for the old schedule's time.
func (c *Controller) updateCronJob(old, cj *batchv1.CronJob) {
	if old.Spec.Schedule == cj.Spec.Schedule && ptr.Equal(old.Spec.TimeZone, cj.Spec.TimeZone) {
		c.enqueue(cj)
		return
	}
	sched, err := parseSchedule(cj)
	if err != nil {
		klog.TODO().V(2).Info("Unparseable schedule for cronjob", "cronjob", klog.KObj(cj), "schedule", cj.Spec.Schedule, "err", err)
		c.events.Eventf(cj, corev1.EventTypeWarning, "UnParseableCronJobSchedule", "unparseable schedule for cronjob: %s", cj.Spec.Schedule)
		return
	}
	if d, ok := requeueAfter(cj, c.clock.Now(), sched); ok {
		c.enqueueAfter(cj, d)
	}
}

// enqueueOwner queues the CronJob that controls j, if any.
func (c *Controller) enqueueOwner(j *batchv1.Job) {
	if cj := c.owner(j.Namespace, metav1.GetControllerOfNoCopy(j)); cj != nil {
		c.enqueue(cj)
	}
}

func (c *Controller) owner(namespace string, ref *metav1.OwnerReference) *batchv1.CronJob {
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return nil
	}
	cj, err := c.cronJobs.CronJobs(namespace).Get(ref.Name)
	if err != nil || cj.UID != ref.UID {
		return nil
	}
	return cj
}

// alarms are the pending wake-ups, by CronJob key, on a clock that may be
// fake: the delaying queue's AddAfter, which keeps the earliest time per
// key, for a clock the queue does not run on.
type alarms struct {
	clock clock.WithDelayedExecution
	fire  func(key string)

	// mu is never held by a timer's callback: a fake clock runs callbacks
	// while it holds its own lock, which set takes under mu.
	mu      sync.Mutex
	pending map[string]alarm
	stopped bool
}

type alarm struct {
	at    time.Time
	timer clock.Timer
}

// set wakes key after d, unless an earlier wake-up for it is pending.
func (a *alarms) set(key string, d time.Duration) {
	if d <= 0 {
		a.fire(key)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	now := a.clock.Now()
	at := now.Add(d)
	if p, ok := a.pending[key]; ok {
		if p.at.After(now) && !p.at.After(at) {
			return
		}
		p.timer.Stop()
	}
	if a.pending == nil {
		a.pending = map[string]alarm{}
	}
	a.pending[key] = alarm{at: at, timer: a.clock.AfterFunc(d, func() { a.fire(key) })}
}

// stop cancels every pending wake-up, and those set after.
func (a *alarms) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	for _, p := range a.pending {
		p.timer.Stop()
	}
	a.pending = nil
}

// forget cancels key's wake-up: its CronJob is gone.
func (a *alarms) forget(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.pending[key]; ok {
		p.timer.Stop()
		delete(a.pending, key)
	}
}
