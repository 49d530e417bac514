package cronjob

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
	cronJob := func(name string, created time.Duration, edit func(*batchv1.CronJob)) *batchv1.CronJob {
		cj := &batchv1.CronJob{
			ObjectMeta: tablestest.ObjectMeta(name, created),
			Spec: batchv1.CronJobSpec{
				Schedule: "*/5 * * * *",
				Suspend:  ptr.To(false),
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "hello", Image: "busybox:1.37"}},
				}}}},
			},
		}
		edit(cj)
		return cj
	}
	never := cronJob("hello", 90*time.Second, func(*batchv1.CronJob) {})
	running := cronJob("nightly", 3*24*time.Hour, func(cj *batchv1.CronJob) {
		cj.Spec.Schedule = "0 3 * * *"
		cj.Spec.TimeZone = ptr.To("Europe/Paris")
		cj.Status.Active = []corev1.ObjectReference{{Kind: "Job", Name: "nightly-29000000"}, {Kind: "Job", Name: "nightly-29001440"}}
		cj.Status.LastScheduleTime = ptr.To(tablestest.Ago(7 * time.Hour))
		cj.Spec.JobTemplate.Spec.Template.Spec.Containers = append(cj.Spec.JobTemplate.Spec.Template.Spec.Containers,
			corev1.Container{Name: "report", Image: "mail"})
	})
	suspended := cronJob("paused", time.Hour, func(cj *batchv1.CronJob) {
		cj.Spec.Suspend = ptr.To(true)
		cj.Status.LastScheduleTime = ptr.To(tablestest.Ago(45 * time.Minute))
	})
	unset := cronJob("unset", time.Minute, func(cj *batchv1.CronJob) {
		cj.Spec.Suspend = nil
		cj.Spec.Schedule = "@hourly"
		cj.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "hello"}}
	})
	tablestest.Golden{Name: "cronjobs", Table: table}.Check(t, []tablestest.Case{
		{Name: "never scheduled", Obj: never},
		{Name: "time zone, two active Jobs, two containers", Obj: running},
		{Name: "suspended", Obj: suspended},
		{Name: "suspend unset, selector in the template", Obj: unset},
		{Name: "list", Obj: &batchv1.CronJobList{ListMeta: metav1.ListMeta{ResourceVersion: "31"}, Items: []batchv1.CronJob{*never, *running}}},
	})
}
