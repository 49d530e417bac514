package ttlafterfinished

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "ttl-after-finished-controller"

// Controller deletes finished Jobs whose time to live has run out.
type Controller struct {
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	loop   workers.Loop[string]
	now    func() time.Time
}

// New returns a controller that watches Jobs through factory; the caller
// starts factory and calls Run. It fails if its event handler cannot be
// added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	jobs := factory.Batch().V1().Jobs()
	c := &Controller{client: client, jobs: jobs.Lister(), now: time.Now}
	synced, err := eventhandlers.Add(eventhandlers.For("job", jobs.TypedInformer(), batchinformers.JobHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, j *batchv1.Job) { c.enqueue(j) },
	}))
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
			Sync:  c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing job", ItemKey: "job",
		},
		Name: Name, Title: "TTL after finished controller", Synced: synced,
	}
	return c, nil
}

// Run deletes expired Jobs with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(j *batchv1.Job) {
	if !needsCleanup(j) {
		return
	}
	if key, err := cache.MetaNamespaceKeyFunc(j); err == nil {
		c.loop.Queue.Add(key)
	}
}

// sync deletes the Job under key if its time to live is over, else looks
// again when it will be. The cached Job decides first; the Job read fresh
// from the API decides again, so that a ttlSecondsAfterFinished raised
// meanwhile is honoured, and the delete is for that Job's UID alone.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.jobs.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if expired, err := c.expired(key, cached); err != nil || !expired {
		return err
	}
	fresh, err := c.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if expired, err := c.expired(key, fresh); err != nil || !expired {
		return err
	}
	klog.FromContext(ctx).V(4).Info("Cleaning up Job", "job", klog.KObj(fresh))
	foreground := metav1.DeletePropagationForeground
	return c.client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: &foreground,
		Preconditions:     &metav1.Preconditions{UID: &fresh.UID},
	})
}

// expired reports whether j's time to live is over; if it is not yet, j
// is queued again for when it will be.
func (c *Controller) expired(key string, j *batchv1.Job) (bool, error) {
	if !needsCleanup(j) {
		return false, nil
	}
	finished, err := finishTime(j)
	if err != nil {
		return false, err
	}
	left := finished.Add(time.Duration(*j.Spec.TTLSecondsAfterFinished) * time.Second).Sub(c.now())
	if left <= 0 {
		return true, nil
	}
	c.loop.Queue.AddAfter(key, left)
	return false, nil
}

// needsCleanup: j has a time to live, has finished, and is not being
// deleted already.
func needsCleanup(j *batchv1.Job) bool {
	return j.Spec.TTLSecondsAfterFinished != nil && j.DeletionTimestamp == nil && finishedCondition(j) != nil
}

// finishedCondition is j's Complete or Failed condition that is True.
func finishedCondition(j *batchv1.Job) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// finishTime is when j's finishing condition became True, upstream's
// jobFinishTime.
func finishTime(j *batchv1.Job) (time.Time, error) {
	c := finishedCondition(j)
	if c == nil || c.LastTransitionTime.IsZero() {
		return time.Time{}, fmt.Errorf("unable to find the time when the Job %s/%s finished", j.Namespace, j.Name)
	}
	return c.LastTransitionTime.Time, nil
}
