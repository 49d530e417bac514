package job

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	job := func(name string, created time.Duration, edit func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{
			ObjectMeta: tablestest.ObjectMeta(name, created),
			Spec: batchv1.JobSpec{
				Completions: ptr.To[int32](1),
				Parallelism: ptr.To[int32](1),
				Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "1a2b3c"}},
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "pi", Image: "perl:5.34.0"},
				}}},
			},
		}
		edit(j)
		return j
	}
	condition := func(t batchv1.JobConditionType, s corev1.ConditionStatus) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: s}
	}
	started := func(ago time.Duration) *metav1.Time { return ptr.To(tablestest.Ago(ago)) }

	running := job("running", 3*time.Minute, func(j *batchv1.Job) {
		j.Spec.Completions = ptr.To[int32](3)
		j.Status.StartTime = started(150 * time.Second)
		j.Status.Active, j.Status.Succeeded = 1, 1
	})
	complete := job("complete", 2*time.Hour, func(j *batchv1.Job) {
		j.Status.StartTime = started(2 * time.Hour)
		j.Status.CompletionTime = started(2*time.Hour - 47*time.Second)
		j.Status.Succeeded = 1
		j.Status.Conditions = []batchv1.JobCondition{
			condition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue), condition(batchv1.JobComplete, corev1.ConditionTrue),
		}
	})
	failed := job("failed", 10*time.Minute, func(j *batchv1.Job) {
		j.Status.StartTime = started(10 * time.Minute)
		j.Status.Failed = 7
		j.Status.Conditions = []batchv1.JobCondition{
			condition(batchv1.JobFailureTarget, corev1.ConditionTrue), condition(batchv1.JobFailed, corev1.ConditionTrue),
		}
	})
	suspended := job("suspended", 5*24*time.Hour, func(j *batchv1.Job) {
		j.Spec.Suspend = ptr.To(true)
		j.Status.Conditions = []batchv1.JobCondition{condition(batchv1.JobSuspended, corev1.ConditionTrue)}
	})
	resumed := job("resumed", time.Hour, func(j *batchv1.Job) {
		j.Status.StartTime = started(time.Minute)
		j.Status.Conditions = []batchv1.JobCondition{condition(batchv1.JobSuspended, corev1.ConditionFalse)}
	})
	terminating := job("terminating", time.Hour, func(j *batchv1.Job) {
		j.DeletionTimestamp = ptr.To(tablestest.Ago(time.Second))
		j.Status.StartTime = started(time.Hour)
		j.Status.Conditions = []batchv1.JobCondition{condition(batchv1.JobSuspended, corev1.ConditionTrue)}
	})
	failing := job("failing", time.Minute, func(j *batchv1.Job) {
		j.Status.StartTime = started(time.Minute)
		j.Status.Conditions = []batchv1.JobCondition{condition(batchv1.JobFailureTarget, corev1.ConditionTrue)}
	})
	succeeding := job("succeeding", time.Minute, func(j *batchv1.Job) {
		j.Status.StartTime = started(time.Minute)
		j.Status.Conditions = []batchv1.JobCondition{condition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue)}
	})
	workQueue := job("work-queue", 30*time.Second, func(j *batchv1.Job) {
		j.Spec.Completions, j.Spec.Parallelism = nil, ptr.To[int32](3)
		j.Spec.Template.Spec.Containers = append(j.Spec.Template.Spec.Containers, corev1.Container{Name: "log", Image: "busybox"})
		j.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "queue", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}},
		}}
	})
	single := job("single", 30*time.Second, func(j *batchv1.Job) { j.Spec.Completions = nil })

	tablestest.Golden{Name: "jobs", Table: table}.Check(t, []tablestest.Case{
		{Name: "running, one of three done", Obj: running},
		{Name: "complete, duration from start to completion", Obj: complete},
		{Name: "failed", Obj: failed},
		{Name: "suspended before it started, no duration", Obj: suspended},
		{Name: "resumed: Suspended is False", Obj: resumed},
		{Name: "terminating wins over suspended", Obj: terminating},
		{Name: "failure target", Obj: failing},
		{Name: "success criteria met", Obj: succeeding},
		{Name: "no completions, parallelism 3, two containers, expression selector", Obj: workQueue},
		{Name: "no completions, parallelism 1", Obj: single},
		{Name: "list", Obj: &batchv1.JobList{ListMeta: metav1.ListMeta{ResourceVersion: "31"}, Items: []batchv1.Job{*running, *complete}}},
	})
}
