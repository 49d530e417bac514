package cronjob_test

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func hello() *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/5 * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyOnFailure,
				Containers:    []corev1.Container{{Name: "hello", Image: "busybox"}},
			}}}},
		},
	}
}

// TestServed creates a CronJob through a real API server: it is defaulted,
// its generation counts spec changes and not status writes, and a bad
// schedule, time zone or name is a 422 naming the field.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	cronJobs := client.BatchV1().CronJobs("default")
	ctx := t.Context()

	sent := hello()
	sent.Status.Active = []corev1.ObjectReference{{Kind: "Job", Name: "hello-1"}}
	got, err := cronJobs.Create(ctx, sent, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.ConcurrencyPolicy != batchv1.AllowConcurrent || *got.Spec.Suspend || *got.Spec.SuccessfulJobsHistoryLimit != 3 ||
		*got.Spec.FailedJobsHistoryLimit != 1 || got.Spec.JobTemplate.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst ||
		got.Spec.JobTemplate.Spec.Completions != nil {
		t.Errorf("defaults: %+v", got.Spec)
	}
	if got.Generation != 1 || len(got.Status.Active) != 0 {
		t.Errorf("on create: generation %d, active %v; want 1 and the status sent dropped", got.Generation, got.Status.Active)
	}

	got.Status.LastScheduleTime = ptr.To(metav1.Now())
	if got, err = cronJobs.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 1 || got.Status.LastScheduleTime == nil {
		t.Fatalf("status update: %+v, %v; want generation 1 and the status kept", got, err)
	}
	got.Spec.Suspend = ptr.To(true)
	if got, err = cronJobs.Update(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 2 || got.Status.LastScheduleTime == nil {
		t.Fatalf("suspend: %+v, %v; want generation 2 and the status kept", got, err)
	}

	for _, tc := range []struct {
		name  string
		edit  func(*batchv1.CronJob)
		field string
	}{
		{"schedule out of range", func(cj *batchv1.CronJob) { cj.Spec.Schedule = "61 * * * *" }, "spec.schedule"},
		{"TZ in the schedule", func(cj *batchv1.CronJob) { cj.Spec.Schedule = "CRON_TZ=UTC * * * * *" }, "spec.schedule"},
		{"unknown time zone", func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Europe/Pariss") }, "spec.timeZone"},
		{"name too long for its Jobs", func(cj *batchv1.CronJob) { cj.Name = "a-cronjob-name-that-leaves-no-room-for-a-job-suffix-x" }, "metadata.name"},
		{"restartPolicy Always", func(cj *batchv1.CronJob) { cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = "" },
			"spec.jobTemplate.spec.template.spec.restartPolicy"},
	} {
		bad := hello()
		bad.Name = "bad"
		tc.edit(bad)
		_, err := cronJobs.Create(ctx, bad, metav1.CreateOptions{})
		wantInvalid(t, tc.name, err, tc.field)
	}
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok || !apierrors.IsInvalid(err) {
		t.Errorf("%s: %v, want 422 on %s", what, err, field)
		return
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == field {
			return
		}
	}
	t.Errorf("%s: %v, want a cause on %s", what, err, field)
}
