package cronjob

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// at parses an RFC3339 time, failing tb on a typo in a table.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("bad time %q in test: %v", s, err)
	}
	return t
}

// cronJob is a CronJob created at created, last scheduled at last if not
// empty, with schedule and zone.
func cronJob(tb testing.TB, schedule, zone, created, last string) *batchv1.CronJob {
	tb.Helper()
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "cj", Namespace: "default", CreationTimestamp: metav1.NewTime(at(tb, created))},
		Spec:       batchv1.CronJobSpec{Schedule: schedule},
	}
	if zone != "" {
		cj.Spec.TimeZone = ptr.To(zone)
	}
	if last != "" {
		cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(at(tb, last)))
	}
	return cj
}

func mustParse(tb testing.TB, cj *batchv1.CronJob) cron.Schedule {
	tb.Helper()
	s, err := parseSchedule(cj)
	if err != nil {
		tb.Fatalf("parse %q: %v", cj.Spec.Schedule, err)
	}
	return s
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

func TestNextScheduleTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		schedule string
		zone     string
		created  string
		last     string
		deadline *int64
		now      string
		want     string // UTC, or "none"
		missed   missed
		err      error
	}{
		{name: "before the first", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:00:59Z", want: "none"},
		{name: "on the first", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:01:00Z", want: "2026-05-01T10:01:00Z", missed: fewMissed},
		{name: "just after the first", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:01:01Z", want: "2026-05-01T10:01:00Z", missed: fewMissed},
		{name: "three missed: the latest", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:03:30Z", want: "2026-05-01T10:03:00Z", missed: fewMissed},
		{name: "counted from last schedule", schedule: "0 * * * *", created: "2026-05-01T00:00:30Z", last: "2026-05-01T09:00:00Z", now: "2026-05-01T09:30:00Z", want: "none"},
		{name: "last schedule and one due", schedule: "0 * * * *", created: "2026-05-01T00:00:30Z", last: "2026-05-01T09:00:00Z", now: "2026-05-01T10:00:05Z", want: "2026-05-01T10:00:00Z", missed: fewMissed},
		{name: "exactly 100 missed", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T11:40:30Z", want: "2026-05-01T11:40:00Z", missed: fewMissed},
		{name: "101 missed: too many", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T11:41:30Z", want: "2026-05-01T11:41:00Z", missed: manyMissed},
		{name: "years missed", schedule: "*/5 * * * *", created: "2020-05-01T10:00:30Z", now: "2026-05-01T11:41:30Z", want: "2026-05-01T11:40:00Z", missed: manyMissed},
		{name: "irregular, many missed", schedule: "0 0 1 * *", created: "2010-03-15T00:00:00Z", now: "2026-05-20T00:00:00Z", want: "2026-05-01T00:00:00Z", missed: manyMissed},
		{name: "weekdays, many missed, now on a weekend", schedule: "30 6-16/4 * * 1-5", created: "2026-03-01T00:00:00Z", now: "2026-05-03T12:00:00Z", want: "2026-05-01T14:30:00Z", missed: manyMissed},
		{name: "deadline keeps the latest", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", deadline: ptr.To[int64](30), now: "2026-05-01T10:05:20Z", want: "2026-05-01T10:05:00Z", missed: fewMissed},
		{name: "deadline passed", schedule: "0 * * * *", created: "2026-05-01T09:30:00Z", deadline: ptr.To[int64](60), now: "2026-05-01T10:01:01Z", want: "none"},
		{name: "deadline not passed", schedule: "0 * * * *", created: "2026-05-01T09:30:00Z", deadline: ptr.To[int64](60), now: "2026-05-01T10:00:59Z", want: "2026-05-01T10:00:00Z", missed: fewMissed},
		{name: "deadline hides the many missed", schedule: "*/1 * * * *", created: "2020-05-01T10:00:30Z", deadline: ptr.To[int64](200), now: "2026-05-01T11:41:30Z", want: "2026-05-01T11:41:00Z", missed: fewMissed},
		{name: "time zone", schedule: "0 9 * * *", zone: "Europe/Berlin", created: "2026-05-01T00:00:00Z", now: "2026-05-01T07:00:01Z", want: "2026-05-01T07:00:00Z", missed: fewMissed},
		{name: "time zone, not yet", schedule: "0 9 * * *", zone: "America/New_York", created: "2026-05-01T00:00:00Z", now: "2026-05-01T09:00:01Z", want: "none"},
		{name: "time zone, winter", schedule: "0 9 * * *", zone: "America/New_York", created: "2026-01-10T00:00:00Z", now: "2026-01-10T14:00:01Z", want: "2026-01-10T14:00:00Z", missed: fewMissed},
		{name: "TZ in the schedule", schedule: "TZ=Asia/Tokyo 0 9 * * *", created: "2026-04-30T23:00:00Z", now: "2026-05-01T00:00:01Z", want: "2026-05-01T00:00:00Z", missed: fewMissed},
		{name: "never comes", schedule: "59 23 31 2 *", zone: "UTC", created: "2026-05-01T00:00:00Z", now: "2026-05-01T00:00:01Z", want: "none", err: errTooFrequent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cj := cronJob(t, tc.schedule, tc.zone, tc.created, tc.last)
			cj.Spec.StartingDeadlineSeconds = tc.deadline
			got, m, err := nextScheduleTime(cj, at(t, tc.now), mustParse(t, cj))
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if fmtTime(got) != tc.want || m != tc.missed {
				t.Errorf("nextScheduleTime = %s, missed %d; want %s, missed %d", fmtTime(got), m, tc.want, tc.missed)
			}
		})
	}
}

// TestMostRecentAgainstWalk: mostRecent's jump over many missed times
// lands where walking every start time does.
func TestMostRecentAgainstWalk(t *testing.T) {
	t.Parallel()
	from := at(t, "2025-01-01T00:00:00Z")
	for _, schedule := range []string{"17 */7 * * *", "0 0 1 * *", "30 6-16/4 * * 1-5", "0 0 29 2 *", "15 3 * * 0", "@every 13m"} {
		t.Run(schedule, func(t *testing.T) {
			t.Parallel()
			sched, err := cron.ParseStandard("TZ=UTC " + schedule)
			if err != nil {
				t.Fatal(err)
			}
			for _, now := range []string{"2025-01-01T00:30:00Z", "2025-03-03T12:00:00Z", "2026-05-02T23:59:59Z", "2028-03-01T00:00:00Z"} {
				n := at(t, now)
				var want *time.Time
				for x := sched.Next(from); !x.After(n); x = sched.Next(x) {
					want = &x
				}
				got, _, err := mostRecent(from, n, sched)
				if err != nil {
					t.Fatalf("now %s: %v", now, err)
				}
				if fmtTime(got) != fmtTime(want) {
					t.Errorf("now %s: mostRecent %s, walk %s", now, fmtTime(got), fmtTime(want))
				}
			}
		})
	}
}

func TestRequeueAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		schedule string
		zone     string
		created  string
		last     string
		now      string
		want     time.Duration
		ok       bool
	}{
		{name: "next minute", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:00:40Z", want: 20*time.Second + nextScheduleDelta, ok: true},
		{name: "after the one due", schedule: "*/1 * * * *", created: "2026-05-01T10:00:30Z", now: "2026-05-01T10:03:30Z", want: 30*time.Second + nextScheduleDelta, ok: true},
		{name: "after last schedule", schedule: "0 * * * *", created: "2026-05-01T00:00:30Z", last: "2026-05-01T09:00:00Z", now: "2026-05-01T09:15:00Z", want: 45*time.Minute + nextScheduleDelta, ok: true},
		{name: "time zone", schedule: "0 9 * * *", zone: "Asia/Kolkata", created: "2026-05-01T00:00:00Z", now: "2026-05-01T03:00:00Z", want: 30*time.Minute + nextScheduleDelta, ok: true},
		{name: "never", schedule: "59 23 31 2 *", zone: "UTC", created: "2026-05-01T00:00:00Z", now: "2026-05-01T03:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cj := cronJob(t, tc.schedule, tc.zone, tc.created, tc.last)
			got, ok := requeueAfter(cj, at(t, tc.now), mustParse(t, cj))
			if got != tc.want || ok != tc.ok {
				t.Errorf("requeueAfter = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestScheduleText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, schedule, zone, want string
		tz                         bool
	}{
		{name: "plain", schedule: "*/5 * * * *", want: "*/5 * * * *"},
		{name: "zone", schedule: "*/5 * * * *", zone: "Europe/Paris", want: "TZ=Europe/Paris */5 * * * *"},
		{name: "unknown zone", schedule: "*/5 * * * *", zone: "Mars/Olympus", want: "*/5 * * * *"},
		{name: "TZ in schedule wins", schedule: "CRON_TZ=UTC */5 * * * *", zone: "Europe/Paris", want: "CRON_TZ=UTC */5 * * * *", tz: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cj := cronJob(t, tc.schedule, tc.zone, "2026-05-01T00:00:00Z", "")
			got, tz := scheduleText(cj)
			if got != tc.want || tz != tc.tz {
				t.Errorf("scheduleText = %q, %v; want %q, %v", got, tz, tc.want, tc.tz)
			}
		})
	}
}

func TestJobFor(t *testing.T) {
	t.Parallel()
	cj := cronJob(t, "0 9 * * *", "Asia/Tokyo", "2026-05-01T00:00:00Z", "")
	cj.UID = "cj-uid"
	cj.Spec.JobTemplate = batchv1.JobTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}, Annotations: map[string]string{"note": "y"}},
		Spec:       batchv1.JobSpec{BackoffLimit: ptr.To[int32](2)},
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	scheduled := at(t, "2026-05-02T00:00:00Z")
	got := jobFor(cj, scheduled, tokyo)
	want := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "cj-29628000",
			Namespace: "default",
			Labels:    map[string]string{"app": "x"},
			Annotations: map[string]string{
				"note": "y",
				batchv1.CronJobScheduledTimestampAnnotation: "2026-05-02T09:00:00+09:00",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "batch/v1", Kind: "CronJob", Name: "cj", UID: "cj-uid",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](2)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobFor (-want +got):\n%s", diff)
	}
	got.Labels["app"] = "changed"
	if cj.Spec.JobTemplate.Labels["app"] != "x" {
		t.Error("jobFor shares its labels with the template")
	}
}
