package cronjob

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of cronjobs, as upstream's
// printCronJob: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE
// [CONTAINERS IMAGES SELECTOR], the wide ones of the jobTemplate.
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Schedule", Type: "string", Description: "The schedule in Cron format."},
		{Name: "Timezone", Type: "string", Description: "The time zone the schedule is read in; <none> for the controller's local one."},
		// Upstream declares a boolean and sends "True", "False" or "<unset>".
		{Name: "Suspend", Type: "boolean", Description: "Whether the controller suspends subsequent runs."},
		{Name: "Active", Type: "integer", Description: "How many of the CronJob's Jobs are running."},
		{Name: "Last Schedule", Type: "string", Description: "How long ago a Job was last scheduled."},
		tables.AgeColumn(),
	}, workload.WideColumns()...)
	return tables.NewConvertor[*batchv1.CronJobList](t, columns, func(cj *batchv1.CronJob, now time.Time) []any {
		lastSchedule := "<none>"
		if s := cj.Status.LastScheduleTime; s != nil {
			lastSchedule = tables.Age(*s, now)
		}
		timeZone := "<none>"
		if cj.Spec.TimeZone != nil {
			timeZone = *cj.Spec.TimeZone
		}
		return append([]any{
			cj.Name, cj.Spec.Schedule, timeZone, boolCell(cj.Spec.Suspend), int64(len(cj.Status.Active)), lastSchedule,
			tables.Age(cj.CreationTimestamp, now),
		}, workload.WideCells(&cj.Spec.JobTemplate.Spec.Template.Spec, cj.Spec.JobTemplate.Spec.Selector)...)
	})
}

// boolCell is upstream's printBoolPtr: True, False, or <unset> for nil.
func boolCell(b *bool) string {
	switch {
	case b == nil:
		return "<unset>"
	case *b:
		return "True"
	}
	return "False"
}
