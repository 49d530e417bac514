package job

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons and messages, as upstream's.
const (
	reasonCompletionsReached = batchv1.JobReasonCompletionsReached
	msgCompletionsReached    = "Reached expected number of succeeded pods"
	msgBackoffLimit          = "Job has reached the specified backoff limit"
	msgDeadline              = "Job was active longer than specified deadline"
	msgMaxFailedIndexes      = "Job has exceeded the specified maximal number of failed indexes"
	msgFailedIndexes         = "Job has failed indexes"
)

func newCondition(t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) *batchv1.JobCondition {
	return &batchv1.JobCondition{
		Type: t, Status: status, Reason: reason, Message: message,
		LastProbeTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now),
	}
}

// findCondition is the condition of type t in conds, if any.
func findCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// trueCondition is the condition of type t in conds if its status is
// True.
func trueCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType) *batchv1.JobCondition {
	if c := findCondition(conds, t); c != nil && c.Status == corev1.ConditionTrue {
		return c
	}
	return nil
}

// finished reports whether j is Complete or Failed: nothing more to do.
func finished(j *batchv1.Job) bool {
	return trueCondition(j.Status.Conditions, batchv1.JobComplete) != nil || trueCondition(j.Status.Conditions, batchv1.JobFailed) != nil
}

// setCondition puts a condition of type t with the given status, reason
// and message into conds, stamped now if any of those change, and reports
// whether conds changed. A False condition that was not there is not
// added: going from nothing to False says nothing.
func setCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) ([]batchv1.JobCondition, bool) {
	if c := findCondition(conds, t); c != nil {
		if c.Status == status && c.Reason == reason && c.Message == message {
			return conds, false
		}
		*c = *newCondition(t, status, reason, message, now)
		return conds, true
	}
	if status == corev1.ConditionFalse {
		return conds, false
	}
	return append(conds, *newCondition(t, status, reason, message, now)), true
}

// updateStatus writes j's status and returns j as stored.
func (c *Controller) updateStatus(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	updated, err := c.client.BatchV1().Jobs(j.Namespace).UpdateStatus(ctx, j, metav1.UpdateOptions{})
	if err != nil {
		return j, err
	}
	if updated.Status.UncountedTerminatedPods == nil {
		updated.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	return updated, nil
}
