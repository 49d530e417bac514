package cronjob

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
)

// sync brings one CronJob up to date: finished Jobs beyond the history
// limits deleted, status.active in step with its Jobs, the Job for a due
// start time created, the status written if it changed, and a wake-up at
// the next start time.
func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	logger := klog.FromContext(ctx)
	cached, err := c.cronJobs.CronJobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("CronJob not found, may be it is deleted", "cronjob", klog.KRef(namespace, name))
		c.alarms.forget(key)
		c.written.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	if c.written.stale(key, cached) {
		// The cache has not seen this controller's last status write: its
		// Jobs may be newer than its CronJob. The write's update event
		// brings the CronJob back.
		logger.V(4).Info("Waiting for the cache to see the status written", "cronjob", klog.KObj(cached))
		return nil
	}
	jobs, err := c.ownedJobs(cached)
	if err != nil {
		return err
	}
	cj := cached.DeepCopy()
	cleaned := c.cleanupFinishedJobs(ctx, cj, jobs)
	requeue, changed, syncErr := c.syncCronJob(ctx, cj, jobs)
	if cleaned || changed {
		updated, err := c.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{})
		if err != nil {
			logger.V(2).Info("Unable to update status for cronjob", "cronjob", klog.KObj(cj), "resourceVersion", cj.ResourceVersion, "err", err)
			return fmt.Errorf("update status of cronjob %s: %w", key, err)
		}
		if updated.ResourceVersion != cached.ResourceVersion {
			c.written.wrote(key, cached.ResourceVersion)
		}
	}
	if requeue != nil {
		logger.V(4).Info("Re-queuing cronjob", "cronjob", klog.KObj(cj), "requeueAfter", *requeue)
		c.alarms.set(key, *requeue)
	}
	return syncErr
}

// ownedJobs are the Jobs in cj's namespace that it controls.
func (c *Controller) ownedJobs(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	all, err := c.jobs.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var out []*batchv1.Job
	for _, j := range all {
		if ref := metav1.GetControllerOfNoCopy(j); ref != nil && ref.UID == cj.UID && ref.Kind == kind.Kind {
			out = append(out, j)
		}
	}
	return out, nil
}

// syncCronJob works on cj, a copy: it returns when to sync again, if at
// all, and whether cj's status changed and needs writing.
func (c *Controller) syncCronJob(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) (*time.Duration, bool, error) {
	logger := klog.FromContext(ctx)
	now := c.clock.Now()
	changed := false

	owned := make(map[types.UID]bool, len(jobs))
	for _, j := range jobs {
		owned[j.UID] = true
		active := inActive(cj, j.UID)
		cond := finishedCondition(j)
		switch {
		case !active && cond == "":
			// Ours and running, yet not in status.active: the status was
			// not written after the Job was created, or the cache's
			// CronJob is older than its Jobs.
			fresh, err := c.cronJobs.CronJobs(cj.Namespace).Get(cj.Name)
			if err != nil {
				return nil, changed, err
			}
			if inActive(fresh, j.UID) {
				fresh.DeepCopyInto(cj)
				continue
			}
			c.events.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
		case active && cond != "":
			removeActive(cj, j.UID)
			c.events.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %v", j.Name, cond)
			changed = true
		}
		if cond == batchv1.JobComplete && j.Status.CompletionTime != nil {
			if last := cj.Status.LastSuccessfulTime; last == nil || j.Status.CompletionTime.After(last.Time) {
				cj.Status.LastSuccessfulTime = j.Status.CompletionTime.DeepCopy()
				changed = true
			}
		}
	}
	// Active Jobs that are gone.
	for _, ref := range slices.Clone(cj.Status.Active) {
		if owned[ref.UID] {
			continue
		}
		if j, err := c.jobs.Jobs(cj.Namespace).Get(ref.Name); err == nil && j.UID == ref.UID {
			continue
		} else if err != nil && !apierrors.IsNotFound(err) {
			return nil, changed, err
		}
		c.events.Eventf(cj, corev1.EventTypeNormal, "MissingJob", "Active job went missing: %v", ref.Name)
		removeActive(cj, ref.UID)
		changed = true
	}

	if cj.DeletionTimestamp != nil {
		// The garbage collector is deleting it: start nothing more.
		return nil, changed, nil
	}
	zone := time.UTC
	if tz := cj.Spec.TimeZone; tz != nil {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			c.events.Eventf(cj, corev1.EventTypeWarning, "UnknownTimeZone", "invalid timeZone: %q: %s", *tz, err)
			return nil, changed, nil
		}
		zone = loc
	}
	if ptr.Deref(cj.Spec.Suspend, false) {
		logger.V(4).Info("Not starting job because the cron is suspended", "cronjob", klog.KObj(cj))
		return nil, changed, nil
	}
	if _, tz := scheduleText(cj); tz {
		c.events.Eventf(cj, corev1.EventTypeWarning, "UnsupportedSchedule", "CRON_TZ or TZ used in schedule %q is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", cj.Spec.Schedule)
	}
	sched, err := parseSchedule(cj)
	if err != nil {
		logger.V(2).Info("Unparseable schedule", "cronjob", klog.KObj(cj), "schedule", cj.Spec.Schedule, "err", err)
		c.events.Eventf(cj, corev1.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return nil, changed, nil
	}
	next := func() *time.Duration {
		if d, ok := requeueAfter(cj, now, sched); ok {
			return &d
		}
		return nil
	}

	scheduled, m, err := nextScheduleTime(cj, now, sched)
	if err != nil {
		logger.V(2).Info("Invalid schedule", "cronjob", klog.KObj(cj), "schedule", cj.Spec.Schedule, "err", err)
		c.events.Eventf(cj, corev1.EventTypeWarning, "InvalidSchedule", "invalid schedule: %s : %s", cj.Spec.Schedule, err)
		return nil, changed, nil
	}
	if m == manyMissed {
		c.events.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
		logger.Info("too many missed times", "cronjob", klog.KObj(cj))
	}
	if scheduled == nil {
		logger.V(4).Info("No unmet start times", "cronjob", klog.KObj(cj))
		return next(), changed, nil
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		// nextScheduleTime already leaves out the start times before the
		// deadline; upstream checks again, and so do we.
		logger.V(4).Info("Missed starting window", "cronjob", klog.KObj(cj))
		c.events.Eventf(cj, corev1.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		return next(), changed, nil
	}
	name := jobName(cj, *scheduled)
	if inActiveByName(cj, name) || (cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(*scheduled)) {
		logger.V(4).Info("Not starting job because the scheduled time is already processed", "cronjob", klog.KObj(cj), "schedule", *scheduled)
		return next(), changed, nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			logger.V(4).Info("Not starting job because prior execution is still running and concurrency policy is Forbid", "cronjob", klog.KObj(cj))
			c.events.Eventf(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return next(), changed, nil
		}
	case batchv1.ReplaceConcurrent:
		for _, ref := range slices.Clone(cj.Status.Active) {
			logger.V(4).Info("Deleting job that was still running at next scheduled start time", "job", klog.KRef(ref.Namespace, ref.Name))
			j, err := c.jobs.Jobs(cj.Namespace).Get(ref.Name)
			if apierrors.IsNotFound(err) {
				c.events.Eventf(cj, corev1.EventTypeWarning, "MissingJob", "Active job went missing: %v", ref.Name)
				removeActive(cj, ref.UID)
				changed = true
				continue
			}
			if err != nil {
				return nil, changed, err
			}
			if !c.deleteJob(ctx, cj, j) {
				return nil, changed, fmt.Errorf("could not replace job %s/%s", j.Namespace, j.Name)
			}
			changed = true
		}
	}

	want := jobFor(cj, *scheduled, zone)
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, want, metav1.CreateOptions{})
	existed := false
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// Its namespace is going: so is the CronJob.
		return nil, changed, nil
	case apierrors.IsAlreadyExists(err):
		// Created by an earlier sync whose status write was lost, or by
		// someone else.
		logger.Info("Job already exists", "cronjob", klog.KObj(cj), "job", klog.KObj(want))
		existed = true
		got, err := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return nil, changed, err
		}
		if !metav1.IsControlledBy(got, cj) || inActive(cj, got.UID) {
			return nil, changed, nil
		}
		created = got
	case err != nil:
		c.events.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return nil, changed, err
	}
	if !existed {
		logger.V(4).Info("Created Job", "job", klog.KObj(created), "cronjob", klog.KObj(cj))
		c.events.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	}
	cj.Status.Active = append(cj.Status.Active, jobRef(created))
	cj.Status.LastScheduleTime = &metav1.Time{Time: *scheduled}
	return next(), true, nil
}

// jobFor is the Job cj starts at scheduled: its template's metadata and
// spec, the start time in zone as the scheduled-timestamp annotation, and
// cj as its controller.
func jobFor(cj *batchv1.CronJob, scheduled time.Time, zone *time.Location) *batchv1.Job {
	t := &cj.Spec.JobTemplate
	annotations := make(map[string]string, len(t.Annotations)+1)
	for k, v := range t.Annotations {
		annotations[k] = v
	}
	annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduled.In(zone).Format(time.RFC3339)
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            jobName(cj, scheduled),
			Namespace:       cj.Namespace,
			Labels:          make(map[string]string, len(t.Labels)),
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{ownership.ControllerRef(cj, kind)},
		},
	}
	for k, v := range t.Labels {
		j.Labels[k] = v
	}
	t.Spec.DeepCopyInto(&j.Spec)
	return j
}

func jobRef(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{
		Kind:            "Job",
		APIVersion:      batchv1.SchemeGroupVersion.String(),
		Namespace:       j.Namespace,
		Name:            j.Name,
		UID:             j.UID,
		ResourceVersion: j.ResourceVersion,
	}
}

// finishedCondition is Complete or Failed if j has that condition True,
// else "".
func finishedCondition(j *batchv1.Job) batchv1.JobConditionType {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type
		}
	}
	return ""
}

func inActive(cj *batchv1.CronJob, uid types.UID) bool {
	return slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.UID == uid })
}

func inActiveByName(cj *batchv1.CronJob, name string) bool {
	return slices.ContainsFunc(cj.Status.Active, func(r corev1.ObjectReference) bool {
		return r.Name == name && r.Namespace == cj.Namespace
	})
}

func removeActive(cj *batchv1.CronJob, uid types.UID) {
	cj.Status.Active = slices.DeleteFunc(cj.Status.Active, func(r corev1.ObjectReference) bool { return r.UID == uid })
}

// deleteJob deletes j in the background (its pods after it) and takes it
// off cj's active list; it reports whether it did.
func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, j *batchv1.Job) bool {
	err := c.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	if err != nil && !apierrors.IsNotFound(err) {
		c.events.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		klog.FromContext(ctx).Error(err, "Error deleting job from cronjob", "job", klog.KObj(j), "cronjob", klog.KObj(cj))
		return false
	}
	removeActive(cj, j.UID)
	c.events.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", j.Name)
	return true
}

// cleanupFinishedJobs deletes cj's oldest finished Jobs beyond
// successfulJobsHistoryLimit and failedJobsHistoryLimit, and reports
// whether cj's status changed.
func (c *Controller) cleanupFinishedJobs(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) bool {
	if cj.Spec.SuccessfulJobsHistoryLimit == nil && cj.Spec.FailedJobsHistoryLimit == nil {
		return false
	}
	var succeeded, failed []*batchv1.Job
	for _, j := range jobs {
		switch finishedCondition(j) {
		case batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	changed := false
	if l := cj.Spec.SuccessfulJobsHistoryLimit; l != nil && c.removeOldest(ctx, cj, succeeded, *l) {
		changed = true
	}
	if l := cj.Spec.FailedJobsHistoryLimit; l != nil && c.removeOldest(ctx, cj, failed, *l) {
		changed = true
	}
	return changed
}

// removeOldest deletes all but the newest keep of jobs, and reports
// whether any was deleted.
func (c *Controller) removeOldest(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job, keep int32) bool {
	n := len(jobs) - int(keep)
	if n <= 0 {
		return false
	}
	slices.SortFunc(jobs, byStartTime)
	deleted := false
	for _, j := range jobs[:n] {
		if c.deleteJob(ctx, cj, j) {
			deleted = true
		}
	}
	return deleted
}

// byStartTime orders Jobs oldest first by status.startTime, those not
// started last (as the newest), then by name.
func byStartTime(a, b *batchv1.Job) int {
	as, bs := a.Status.StartTime, b.Status.StartTime
	switch {
	case as == nil && bs != nil:
		return 1
	case as != nil && bs == nil:
		return -1
	case as != nil && !as.Equal(bs):
		return as.Compare(bs.Time)
	}
	if a.Name < b.Name {
		return -1
	}
	if a.Name > b.Name {
		return 1
	}
	return 0
}

// statusWrites remembers, by CronJob key, the resourceVersion that the
// controller's last status write replaced, until the cache shows another:
// a sync from a cache that still holds the old CronJob would see the Job
// it just created as one it did not create, and create it again.
type statusWrites struct {
	mu   sync.Mutex
	from map[string]string
}

func (w *statusWrites) wrote(key, from string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.from == nil {
		w.from = map[string]string{}
	}
	w.from[key] = from
}

// stale reports whether cached is the CronJob the last write replaced,
// and forgets the write once it is not.
func (w *statusWrites) stale(key string, cached *batchv1.CronJob) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	from, ok := w.from[key]
	if ok && from == cached.ResourceVersion {
		return true
	}
	delete(w.from, key)
	return false
}

func (w *statusWrites) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.from, key)
}
