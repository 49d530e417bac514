package job

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "job-controller"

// managerName is the spec.managedBy of the Jobs this controller syncs
// (and of those that leave it unset).
const managerName = "kubernetes.io/job-controller"

// Upstream's limits: the most pods one sync creates or deletes, and the
// most finished pods it puts into status.uncountedTerminatedPods.
const (
	maxPodChangesPerSync = 500
	maxUncountedPods     = 500
)

// The per-item retry delays of the queue, upstream's DefaultJobApiBackOff
// and MaxJobApiBackOff.
const (
	apiBackoff    = time.Second
	maxAPIBackoff = time.Minute
)

var kind = batchv1.SchemeGroupVersion.WithKind("Job")

// item is what the queue holds: a Job's key, or the key of a pod whose
// tracking finalizer no Job's sync will remove (an orphan's, a finished
// or deleted Job's).
type item struct {
	key string
	pod bool
}

func (i item) String() string {
	if i.pod {
		return "pod " + i.key
	}
	return i.key
}

// Controller runs Jobs.
type Controller struct {
	client       kubernetes.Interface
	opts         Options
	jobs         batchlisters.JobLister
	pods         corelisters.PodLister
	expectations *expectations.Expectations
	finalizers   *finalizerExpectations
	backoffs     *backoffs
	events       *events.Recorder
	podControl   podcontrol.Control
	loop         workers.Loop[item]
	now          func() time.Time
}

// New returns a controller that watches Jobs and pods through factory;
// the caller starts factory and calls Run. It fails for Options out of
// range, and if an event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	opts, err := opts.complete()
	if err != nil {
		return nil, fmt.Errorf("job controller: %w", err)
	}
	jobs := factory.Batch().V1().Jobs()
	pods := factory.Core().V1().Pods()
	c := &Controller{
		client:       client,
		opts:         opts,
		jobs:         jobs.Lister(),
		pods:         pods.Lister(),
		expectations: expectations.New(),
		finalizers:   &finalizerExpectations{},
		backoffs:     &backoffs{},
		events:       events.New(client, Name),
		now:          time.Now,
	}
	c.podControl = podcontrol.Control{Client: client, Events: c.events}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[item](apiBackoff, maxAPIBackoff))
	synced, err := eventhandlers.Add(
		eventhandlers.For("job", jobs.TypedInformer(), batchinformers.JobHandlerFuncs{
			AddFunc:    func(j *batchv1.Job) { c.enqueue(j, 0) },
			UpdateFunc: c.updateJob,
			DeleteFunc: func(d cache.DeletedObject[*batchv1.Job]) {
				c.loop.Queue.Add(item{key: d.GetKey()})
				if d.OptionalObj != nil {
					c.releasePods(d.OptionalObj)
				}
			},
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    c.addPod,
			UpdateFunc: c.updatePod,
			DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
				if d.OptionalObj != nil {
					c.podGone(d.OptionalObj, true)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[item]{
		Pool: workers.Pool[item]{
			Queue: queue, Sync: c.syncItem, Expected: workers.LostRace,
			ErrorMessage: "Error syncing job", ItemKey: "job",
		},
		Name: Name, Title: "job controller", Synced: synced, Events: c.events,
	}
	return c, nil
}

// Run syncs Jobs with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) syncItem(ctx context.Context, it item) error {
	if it.pod {
		return c.syncOrphanPod(ctx, it.key)
	}
	return c.sync(ctx, it.key)
}

// enqueue queues j's sync after delay.
func (c *Controller) enqueue(j *batchv1.Job, delay time.Duration) {
	key, err := cache.MetaNamespaceKeyFunc(j)
	if err != nil {
		return
	}
	c.loop.Queue.AddAfter(item{key: key}, delay)
}

// enqueueBatched queues j's sync after the batch period: for pod changes
// and status updates, which come in bursts.
func (c *Controller) enqueueBatched(j *batchv1.Job) { c.enqueue(j, c.opts.SyncBatchPeriod) }

func (c *Controller) enqueuePod(pod *corev1.Pod) {
	if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
		c.loop.Queue.Add(item{key: key, pod: true})
	}
}

func (c *Controller) updateJob(old, j *batchv1.Job) {
	if j.Generation == old.Generation {
		c.enqueueBatched(j)
	} else {
		c.enqueue(j, 0)
	}
	if finished(j) {
		// A finished Job's sync removes no finalizer: should any be left,
		// remove them as from orphans.
		c.releasePods(j)
	}
	if j.Status.StartTime != nil && j.Spec.ActiveDeadlineSeconds != nil &&
		(old.Spec.ActiveDeadlineSeconds == nil || *old.Spec.ActiveDeadlineSeconds != *j.Spec.ActiveDeadlineSeconds) {
		deadline := j.Status.StartTime.Add(time.Duration(*j.Spec.ActiveDeadlineSeconds) * time.Second)
		c.enqueue(j, deadline.Sub(c.now()))
	}
}

// releasePods queues the pods j controls that still have the tracking
// finalizer, for it to be removed.
func (c *Controller) releasePods(j *batchv1.Job) {
	sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
	if err != nil {
		return
	}
	pods, _ := c.pods.Pods(j.Namespace).List(sel)
	for _, p := range pods {
		if metav1.IsControlledBy(p, j) && hasTrackingFinalizer(p) {
			c.enqueuePod(p)
		}
	}
}

func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *batchv1.Job {
	if ref == nil || ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
		return nil
	}
	j, err := c.jobs.Jobs(namespace).Get(ref.Name)
	if err != nil || j.UID != ref.UID {
		return nil
	}
	return j
}

// selecting are the Jobs that select an orphan pod, which may adopt it.
func (c *Controller) selecting(pod *corev1.Pod) []*batchv1.Job {
	all, err := c.jobs.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []*batchv1.Job
	for _, j := range all {
		sel, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			out = append(out, j)
		}
	}
	return out
}

func (c *Controller) addPod(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		// A restarted controller sees a pod already being deleted.
		c.podGone(pod, false)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if j := c.resolve(pod.Namespace, ref); j != nil {
			key, _ := cache.MetaNamespaceKeyFunc(j)
			c.expectations.Created(key)
			c.enqueueBatched(j)
		}
		return
	}
	if hasTrackingFinalizer(pod) {
		c.enqueuePod(pod)
	}
	for _, j := range c.selecting(pod) {
		c.enqueueBatched(j)
	}
}

func (c *Controller) updatePod(old, pod *corev1.Pod) {
	if old.ResourceVersion == pod.ResourceVersion {
		return
	}
	if pod.DeletionTimestamp != nil {
		c.podGone(pod, false)
		return
	}
	// Whether old had it does not matter: updates may have been merged.
	released := !hasTrackingFinalizer(pod)
	oldRef, ref := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(pod)
	refChanged := !reflect.DeepEqual(oldRef, ref)
	if refChanged && oldRef != nil {
		if j := c.resolve(old.Namespace, oldRef); j != nil {
			if released {
				c.finalizerRemoved(j, pod)
			}
			c.enqueueBatched(j)
		}
	}
	if ref != nil {
		if j := c.resolve(pod.Namespace, ref); j != nil {
			if released {
				c.finalizerRemoved(j, pod)
			}
			c.enqueueBatched(j)
		}
		return
	}
	if hasTrackingFinalizer(pod) {
		c.enqueuePod(pod)
	}
	if refChanged || !maps.Equal(old.Labels, pod.Labels) {
		for _, j := range c.selecting(pod) {
			c.enqueueBatched(j)
		}
	}
}

// podGone records that a pod is being deleted or, if final, is gone.
func (c *Controller) podGone(pod *corev1.Pod, final bool) {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		// The garbage collector may have removed a Job's reference.
		if hasTrackingFinalizer(pod) {
			c.enqueuePod(pod)
		}
		return
	}
	j := c.resolve(pod.Namespace, ref)
	if j == nil || finished(j) {
		if hasTrackingFinalizer(pod) {
			c.enqueuePod(pod)
		}
		return
	}
	key, _ := cache.MetaNamespaceKeyFunc(j)
	podKey, _ := cache.MetaNamespaceKeyFunc(pod)
	c.expectations.Deleted(key, podKey)
	if final || !hasTrackingFinalizer(pod) {
		c.finalizerRemoved(j, pod)
	}
	c.enqueueBatched(j)
}

func (c *Controller) finalizerRemoved(j *batchv1.Job, pod *corev1.Pod) {
	key, _ := cache.MetaNamespaceKeyFunc(j)
	c.finalizers.observed(key, string(pod.UID))
}

// finalizerExpectations are, by Job key, the UIDs of the pods whose
// tracking finalizer the controller removed and its informer has not yet
// seen go: until it does, the cache still shows them uncounted.
type finalizerExpectations struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

func (f *finalizerExpectations) expect(key string, uids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]map[string]bool{}
	}
	set := f.m[key]
	if set == nil {
		set = map[string]bool{}
		f.m[key] = set
	}
	for _, u := range uids {
		set[u] = true
	}
}

func (f *finalizerExpectations) observed(key, uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if set := f.m[key]; set != nil {
		delete(set, uid)
		if len(set) == 0 {
			delete(f.m, key)
		}
	}
}

// pending returns a copy of key's expected UIDs.
func (f *finalizerExpectations) pending(key string) map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.m[key])
}

func (f *finalizerExpectations) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
}

func hasTrackingFinalizer(pod *corev1.Pod) bool {
	return slices.Contains(pod.Finalizers, batchv1.JobTrackingFinalizer)
}
