package job

import (
	"context"
	"fmt"
	"slices"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// track counts the Job's finished pods through its status, as upstream
// does, so that no pod is counted twice or lost:
//
//  1. the finished pods that still have the tracking finalizer go into
//     status.uncountedTerminatedPods (an Indexed Job's successes straight
//     into completedIndexes), with the interim FailureTarget or
//     SuccessCriteriaMet condition if the Job is finishing, and the status
//     is written;
//  2. their finalizers are removed;
//  3. those whose finalizer went leave the uncounted lists for the
//     succeeded and failed counters;
//  4. once nothing is uncounted and no pod is terminating, a finishing Job
//     gets Complete or Failed.
//
// flush says the status changed already and must be written.
func (c *Controller) track(ctx context.Context, s *state, flush bool) error {
	job := s.job
	isIndexed := indexed(job)
	withFinalizer := map[types.UID]bool{}
	for _, p := range s.pods {
		if hasTrackingFinalizer(p) && !s.removing[string(p.UID)] {
			withFinalizer[p.UID] = true
		}
	}
	if countUncounted(&job.Status, withFinalizer) {
		flush = true
	}
	uncounted := job.Status.UncountedTerminatedPods
	var remove []*corev1.Pod
	var newIndexes []int
	full := false
	for _, p := range s.pods {
		if !hasTrackingFinalizer(p) || s.removing[string(p.UID)] {
			continue // counted by an earlier sync
		}
		failed := podFailed(p, job)
		if !(job.DeletionTimestamp != nil || s.finished != nil || p.Status.Phase == corev1.PodSucceeded || failed) {
			continue
		}
		if last := s.lastFailed[completionIndex(p)]; last != nil && last.UID == p.UID && job.DeletionTimestamp == nil && s.finished == nil {
			continue // its replacement takes its failure counts first
		}
		remove = append(remove, p)
		switch {
		case p.Status.Phase == corev1.PodSucceeded && !s.uncountedFailed[p.UID]:
			if isIndexed {
				if ix := completionIndex(p); validIndex(p, *job.Spec.Completions) && !s.prevSucceeded.has(ix) {
					newIndexes = append(newIndexes, ix)
					flush = true
				}
			} else if !s.uncountedSucceeded[p.UID] {
				uncounted.Succeeded = append(uncounted.Succeeded, p.UID)
				flush = true
			}
		case failed || (s.finished != nil && s.finished.Type != batchv1.JobSuccessCriteriaMet):
			// Once the Job fails, every pod not yet finished counts as
			// failed.
			if s.uncountedFailed[p.UID] || (isIndexed && !validIndex(p, *job.Spec.Completions)) {
				break
			}
			if !matchFailurePolicy(job.Spec.PodFailurePolicy, p).ignore {
				uncounted.Failed = append(uncounted.Failed, p.UID)
				flush = true
			}
		}
		if len(newIndexes)+len(uncounted.Succeeded)+len(uncounted.Failed) >= maxUncountedPods {
			// Keep the status small and leave the rest to the next sync,
			// which the status update queues.
			full = true
			break
		}
	}
	if isIndexed {
		s.succeededIndexes = s.succeededIndexes.with(newIndexes...)
		if str := s.succeededIndexes.String(); str != job.Status.CompletedIndexes {
			job.Status.CompletedIndexes = str
			flush = true
		}
		job.Status.Succeeded = int32(s.succeededIndexes.total())
		var failedStr *string
		if perIndex(job) {
			failedStr = ptr.To(s.failedIndexes.String())
		}
		if !ptr.Equal(job.Status.FailedIndexes, failedStr) {
			job.Status.FailedIndexes = failedStr
			flush = true
		}
	}
	now := c.now()
	if f := s.finished; f != nil {
		switch f.Type {
		case batchv1.JobFailureTarget:
			job.Status.Conditions = append(job.Status.Conditions, *f)
			flush = true
			s.finished = newCondition(batchv1.JobFailed, corev1.ConditionTrue, f.Reason, f.Message, now)
		case batchv1.JobSuccessCriteriaMet:
			if trueCondition(job.Status.Conditions, batchv1.JobSuccessCriteriaMet) == nil {
				job.Status.Conditions = append(job.Status.Conditions, *f)
				flush = true
			}
			s.finished = newCondition(batchv1.JobComplete, corev1.ConditionTrue, f.Reason, f.Message, now)
		}
	}

	if flush {
		updated, err := c.updateStatus(ctx, job)
		if err != nil {
			return fmt.Errorf("adding uncounted pods to status: %w", err)
		}
		job, s.job = updated, updated
		c.backoffs.set(s.key, s.backoff)
		flush = false
	}
	removed, rmErr := c.removeFinalizers(ctx, s.key, remove)
	for _, uid := range removed {
		delete(withFinalizer, uid)
	}
	if countUncounted(&job.Status, withFinalizer) {
		flush = true
	}
	if rmErr != nil {
		if flush {
			if _, err := c.updateStatus(ctx, job); err != nil {
				return fmt.Errorf("removing uncounted pods from status: %w", err)
			}
		}
		return rmErr
	}
	done := !full && c.finish(klog.FromContext(ctx), s)
	if !flush && !done {
		return nil
	}
	updated, err := c.updateStatus(ctx, s.job)
	if err != nil {
		return fmt.Errorf("removing uncounted pods from status: %w", err)
	}
	if done {
		c.recordFinished(updated, s.finished)
	}
	return nil
}

// countUncounted moves the uncounted pods whose finalizer is gone to the
// succeeded and failed counters, and reports whether status changed.
func countUncounted(status *batchv1.JobStatus, withFinalizer map[types.UID]bool) bool {
	u := status.UncountedTerminatedPods
	keep := func(uid types.UID) bool { return !withFinalizer[uid] }
	succeeded := slices.DeleteFunc(slices.Clone(u.Succeeded), keep)
	failed := slices.DeleteFunc(slices.Clone(u.Failed), keep)
	changed := len(succeeded) != len(u.Succeeded) || len(failed) != len(u.Failed)
	status.Succeeded += int32(len(u.Succeeded) - len(succeeded))
	status.Failed += int32(len(u.Failed) - len(failed))
	u.Succeeded, u.Failed = nilIfEmpty(succeeded), nilIfEmpty(failed)
	return changed
}

func nilIfEmpty(uids []types.UID) []types.UID {
	if len(uids) == 0 {
		return nil
	}
	return uids
}

// removeFinalizers removes the tracking finalizer from the pods at once,
// and returns the UIDs of those that no longer have it (or are gone).
func (c *Controller) removeFinalizers(ctx context.Context, key string, pods []*corev1.Pod) ([]types.UID, error) {
	if len(pods) == 0 {
		return nil, nil
	}
	uids := make([]string, len(pods))
	for i, p := range pods {
		uids[i] = string(p.UID)
	}
	c.finalizers.expect(key, uids)
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() {
			if errs[i] = c.removeFinalizer(ctx, p); errs[i] != nil {
				// No update will show it gone.
				c.finalizers.observed(key, uids[i])
			}
		})
	}
	wg.Wait()
	var removed []types.UID
	var failed []error
	for i, p := range pods {
		if errs[i] == nil {
			removed = append(removed, p.UID)
		} else {
			failed = append(failed, errs[i])
		}
	}
	if len(failed) > 0 {
		return removed, fmt.Errorf("removing tracking finalizer: %w", failed[0])
	}
	return removed, nil
}

// finish gives a finishing Job its Complete or Failed condition once
// every pod is counted and none is terminating, and reports whether it
// did.
func (c *Controller) finish(logger klog.Logger, s *state) bool {
	if s.finished == nil {
		return false
	}
	job := s.job
	if u := job.Status.UncountedTerminatedPods; len(u.Succeeded)+len(u.Failed) > 0 {
		logger.V(4).Info("Delaying marking the Job as finished, because there are still uncounted pod(s)", "job", klog.KObj(job), "condition", s.finished.Type)
		return false
	}
	if s.terminating > 0 {
		logger.V(4).Info("Delaying marking the Job as finished, because there are still terminating pod(s)", "job", klog.KObj(job), "condition", s.finished.Type, "count", s.terminating)
		return false
	}
	f := s.finished
	job.Status.Conditions, _ = setCondition(job.Status.Conditions, f.Type, f.Status, f.Reason, f.Message, c.now())
	if f.Type == batchv1.JobComplete {
		job.Status.CompletionTime = &findCondition(job.Status.Conditions, batchv1.JobComplete).LastTransitionTime
	}
	return true
}

// recordFinished records the events of a Job that just finished.
func (c *Controller) recordFinished(job *batchv1.Job, f *batchv1.JobCondition) {
	if f.Type != batchv1.JobComplete {
		c.events.Event(job, corev1.EventTypeWarning, f.Reason, f.Message)
		return
	}
	if job.Spec.Completions != nil && job.Status.Succeeded > *job.Spec.Completions {
		c.events.Event(job, corev1.EventTypeWarning, "TooManySucceededPods", "Too many succeeded pods running after completion count reached")
	}
	c.events.Event(job, corev1.EventTypeNormal, "Completed", "Job completed")
}
