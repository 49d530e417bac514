package job

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of jobs, as upstream's printJob:
// NAME STATUS COMPLETIONS DURATION AGE [CONTAINERS IMAGES SELECTOR].
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Status", Type: "string", Description: "What the Job came to, from its conditions."},
		{Name: "Completions", Type: "string", Description: "Succeeded pods out of the completions the Job needs."},
		{Name: "Duration", Type: "string", Description: "How long the Job took, or has been running."},
		tables.AgeColumn(),
	}, workload.WideColumns()...)
	return tables.NewConvertor[*batchv1.JobList](t, columns, func(j *batchv1.Job, now time.Time) []any {
		return append([]any{
			j.Name, status(j), completions(&j.Spec, j.Status.Succeeded), jobDuration(&j.Status, now),
			tables.Age(j.CreationTimestamp, now),
		}, workload.WideCells(&j.Spec.Template.Spec, j.Spec.Selector)...)
	})
}

// status is the STATUS cell: the first of Complete, Failed, Terminating
// (being deleted), Suspended, FailureTarget and SuccessCriteriaMet that
// holds, else Running.
func status(j *batchv1.Job) string {
	is := func(t batchv1.JobConditionType) bool { return conditionTrue(j.Status.Conditions, t) }
	switch {
	case is(batchv1.JobComplete):
		return "Complete"
	case is(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case is(batchv1.JobSuspended):
		return "Suspended"
	case is(batchv1.JobFailureTarget):
		return "FailureTarget"
	case is(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

// completions is the COMPLETIONS cell: succeeded out of completions, or,
// for a Job that completes when any pod succeeds, out of 1 with the
// parallelism when it runs more than one pod ("0/1 of 3").
func completions(spec *batchv1.JobSpec, succeeded int32) string {
	switch {
	case spec.Completions != nil:
		return fmt.Sprintf("%d/%d", succeeded, *spec.Completions)
	case spec.Parallelism != nil && *spec.Parallelism > 1:
		return fmt.Sprintf("%d/1 of %d", succeeded, *spec.Parallelism)
	}
	return fmt.Sprintf("%d/1", succeeded)
}

// jobDuration is the DURATION cell: from start to completion, or to now
// while the Job runs; empty before it starts.
func jobDuration(s *batchv1.JobStatus, now time.Time) string {
	switch {
	case s.StartTime == nil:
		return ""
	case s.CompletionTime == nil:
		return duration.HumanDuration(now.Sub(s.StartTime.Time))
	}
	return duration.HumanDuration(s.CompletionTime.Sub(s.StartTime.Time))
}
