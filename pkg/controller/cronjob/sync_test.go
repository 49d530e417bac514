package cronjob

import (
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

// TestSyncCronJob: what one sync of a CronJob with no Jobs does at now:
// the Job it creates, if any, its events, and when it wakes next.
func TestSyncCronJob(t *testing.T) {
	t.Parallel()
	const created, now = "2026-05-01T10:00:30Z", "2026-05-01T10:05:10Z"
	for _, tc := range []struct {
		name    string
		change  func(cj *batchv1.CronJob)
		job     string // the Job created, if any
		events  []string
		requeue *time.Duration
	}{
		{name: "due", job: "cj-29627165", requeue: ptr.To(50*time.Second + nextScheduleDelta)},
		{name: "suspended", change: func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) }},
		{name: "already scheduled", change: func(cj *batchv1.CronJob) {
			cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(at(t, "2026-05-01T10:05:00Z")))
		}, requeue: ptr.To(50*time.Second + nextScheduleDelta)},
		{name: "starting deadline passed", change: func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptr.To[int64](5) },
			requeue: ptr.To(50*time.Second + nextScheduleDelta)},
		{name: "starting deadline not passed", change: func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptr.To[int64](15) },
			job: "cj-29627165", requeue: ptr.To(50*time.Second + nextScheduleDelta)},
		{name: "unknown time zone", change: func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Mars/Olympus") },
			events: []string{`Warning UnknownTimeZone invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus`}},
		{name: "unparseable", change: func(cj *batchv1.CronJob) { cj.Spec.Schedule = "every minute" },
			events: []string{`Warning UnparseableSchedule unparseable schedule: "every minute" : expected exactly 5 fields, found 2: [every minute]`}},
		{name: "TZ in schedule", change: func(cj *batchv1.CronJob) { cj.Spec.Schedule = "TZ=UTC */1 * * * *" },
			job: "cj-29627165", requeue: ptr.To(50*time.Second + nextScheduleDelta),
			events: []string{`Warning UnsupportedSchedule CRON_TZ or TZ used in schedule "TZ=UTC */1 * * * *" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`}},
		{name: "forbid with one active", change: func(cj *batchv1.CronJob) {
			cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent
			cj.Status.Active = append(cj.Status.Active, jobRef(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "gone", Namespace: "default", UID: "gone"}}))
		}, requeue: ptr.To(50*time.Second + nextScheduleDelta),
			// The active Job is not in the cache: it went missing, and
			// the CronJob is then free to start one.
			job: "cj-29627165", events: []string{"Normal MissingJob Active job went missing: gone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ctx := ktesting.NewTestContext(t)
			client := fake.NewClientset()
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(client, factory, Options{Clock: testingclock.NewFakeClock(at(t, now))})
			if err != nil {
				t.Fatal(err)
			}
			rec := record.NewFakeRecorder(10)
			c.events = events.To(rec)
			cj := cronJob(t, "*/1 * * * *", "", created, "")
			cj.UID = "cj-uid"
			if tc.change != nil {
				tc.change(cj)
			}
			requeue, _, err := c.syncCronJob(ctx, cj, nil)
			if err != nil {
				t.Fatalf("syncCronJob: %v", err)
			}
			if !ptr.Equal(requeue, tc.requeue) {
				t.Errorf("requeue %v, want %v", ptr.Deref(requeue, -1), ptr.Deref(tc.requeue, -1))
			}
			list, err := client.BatchV1().Jobs("default").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var jobs []string
			for _, j := range list.Items {
				jobs = append(jobs, j.Name)
			}
			if want := slices.DeleteFunc([]string{tc.job}, func(s string) bool { return s == "" }); !slices.Equal(jobs, want) {
				t.Errorf("jobs %q, want %q", jobs, want)
			}
			close(rec.Events)
			var got []string
			for e := range rec.Events {
				if !strings.HasPrefix(e, "Normal SuccessfulCreate") {
					got = append(got, e)
				}
			}
			if !slices.Equal(got, tc.events) {
				t.Errorf("events %q, want %q", got, tc.events)
			}
			if tc.job != "" && (len(cj.Status.Active) != 1 || cj.Status.Active[0].Name != tc.job) {
				t.Errorf("active %+v, want %s", cj.Status.Active, tc.job)
			}
		})
	}
}
