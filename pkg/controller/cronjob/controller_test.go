package cronjob_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/cronjob"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/job"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const timeout = 30 * time.Second

// start runs a control plane without the job and cronjob controllers (the
// test finishes Jobs itself by writing their status), and the cronjob
// controller on a fake clock set to now, and returns a client and the
// clock.
func start(t *testing.T) (kubernetes.Interface, *testingclock.FakeClock) {
	t.Helper()
	c := controllertest.StartWithout(t, job.Name, cronjob.Name)
	client := clustertest.Client(t, c)
	clock := testingclock.NewFakeClock(time.Now())
	factory := informers.NewSharedInformerFactory(client, 0)
	cc, err := cronjob.New(client, factory, cronjob.Options{Clock: clock})
	if err != nil {
		t.Fatalf("cronjob.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { cc.Run(ctx, 2) })
	return client, clock
}

// advance sets the clock to t once the controller waits on it, so that
// the wake-up it asked for fires.
func advance(t *testing.T, clock *testingclock.FakeClock, to time.Time) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		if !clock.HasWaiters() {
			return fmt.Errorf("the controller waits for no time on the clock")
		}
		return nil
	})
	clock.SetTime(to)
}

func newCronJob(name string) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   "*/1 * * * *",
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "blue"}, Annotations: map[string]string{"note": "hi"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"true"}}},
				}}},
			},
		},
	}
}

func getCronJob(t *testing.T, client kubernetes.Interface, name string) *batchv1.CronJob {
	t.Helper()
	cj, err := client.BatchV1().CronJobs("default").Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cj
}

// waitJob waits until the Job exists and returns it.
func waitJob(t *testing.T, client kubernetes.Interface, name string) *batchv1.Job {
	t.Helper()
	var j *batchv1.Job
	clustertest.Poll(t, timeout, func() error {
		var err error
		j, err = client.BatchV1().Jobs("default").Get(t.Context(), name, metav1.GetOptions{})
		return err
	})
	return j
}

// jobNames are the names of the Jobs in the default namespace, sorted.
func jobNames(t *testing.T, client kubernetes.Interface) []string {
	t.Helper()
	list, err := client.BatchV1().Jobs("default").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range list.Items {
		names = append(names, j.Name)
	}
	slices.Sort(names)
	return names
}

// waitStatus waits until check accepts the CronJob's status.
func waitStatus(t *testing.T, client kubernetes.Interface, name string, check func(batchv1.CronJobStatus) error) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		return check(getCronJob(t, client, name).Status)
	})
}

func activeNames(s batchv1.CronJobStatus) []string {
	var out []string
	for _, r := range s.Active {
		out = append(out, r.Name)
	}
	return out
}

// events are the reasons and messages of the events about obj.
func events(t *testing.T, client kubernetes.Interface, uid string) []string {
	t.Helper()
	list, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.uid=" + uid})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}

// waitEvent waits until the CronJob has an event "reason: message".
func waitEvent(t *testing.T, client kubernetes.Interface, cj *batchv1.CronJob, want string) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		got := events(t, client, string(cj.UID))
		if slices.Contains(got, want) {
			return nil
		}
		return fmt.Errorf("events %q, want %q", got, want)
	})
}

// finish writes the Job's status as the job controller would once it
// ended: started at its scheduled time, finished at now, with ct True.
func finish(t *testing.T, client kubernetes.Interface, j *batchv1.Job, ct batchv1.JobConditionType, now time.Time) {
	t.Helper()
	started, err := time.Parse(time.RFC3339, j.Annotations[batchv1.CronJobScheduledTimestampAnnotation])
	if err != nil {
		t.Fatalf("job %s scheduled timestamp: %v", j.Name, err)
	}
	j = j.DeepCopy()
	j.Status.StartTime = ptr.To(metav1.NewTime(started))
	cond := func(ct batchv1.JobConditionType, reason string) batchv1.JobCondition {
		return batchv1.JobCondition{Type: ct, Status: corev1.ConditionTrue, Reason: reason, LastProbeTime: metav1.NewTime(now), LastTransitionTime: metav1.NewTime(now)}
	}
	if ct == batchv1.JobComplete {
		j.Status.Succeeded = 1
		j.Status.CompletionTime = ptr.To(metav1.NewTime(now))
		j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached), cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached)}
	} else {
		j.Status.Failed = 1
		j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded), cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded)}
	}
	if _, err := client.BatchV1().Jobs(j.Namespace).UpdateStatus(t.Context(), j, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("finish job %s: %v", j.Name, err)
	}
}

// TestCronJob: a "*/1 * * * *" CronJob with concurrencyPolicy Forbid and
// history limits of 1 creates its Job when the clock passes the minute,
// starts none while that one runs (the missed minute then starts late,
// once it finished, as upstream's does without startingDeadlineSeconds),
// keeps status.active, lastScheduleTime and lastSuccessfulTime, and
// deletes the older of two finished Jobs.
func TestCronJob(t *testing.T) {
	t.Parallel()
	client, clock := start(t)
	cj, err := client.BatchV1().CronJobs("default").Create(t.Context(), newCronJob("every"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	minute := func(i int) time.Time {
		return cj.CreationTimestamp.Truncate(time.Minute).Add(time.Duration(i) * time.Minute)
	}
	name := func(i int) string { return fmt.Sprintf("every-%d", minute(i).Unix()/60) }

	// Not yet due: the controller waits for the next minute.
	advance(t, clock, minute(1).Add(-time.Second))
	if !clock.HasWaiters() {
		t.Error("the wake-up fired before the minute")
	}
	if got := jobNames(t, client); len(got) != 0 {
		t.Errorf("jobs %q before the minute, want none", got)
	}
	advance(t, clock, minute(1).Add(time.Second))
	j1 := waitJob(t, client, name(1))
	ref := metav1.GetControllerOf(j1)
	if ref == nil || ref.UID != cj.UID || ref.Kind != "CronJob" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("job %s controller %+v, want the CronJob, blocking its deletion", j1.Name, ref)
	}
	if j1.Labels["team"] != "blue" || j1.Annotations["note"] != "hi" {
		t.Errorf("job %s labels %v annotations %v, want the template's", j1.Name, j1.Labels, j1.Annotations)
	}
	if got, want := j1.Annotations[batchv1.CronJobScheduledTimestampAnnotation], minute(1).UTC().Format(time.RFC3339); got != want {
		t.Errorf("scheduled timestamp %q, want %q", got, want)
	}
	if got := j1.Spec.Template.Spec.Containers; len(got) != 1 || got[0].Image != "busybox" {
		t.Errorf("job %s containers %+v, want the template's", j1.Name, got)
	}
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if !slices.Equal(activeNames(s), []string{name(1)}) || s.LastScheduleTime == nil || !s.LastScheduleTime.Time.Equal(minute(1)) {
			return fmt.Errorf("status %+v, want %s active, last scheduled at %v", s, name(1), minute(1))
		}
		return nil
	})
	waitEvent(t, client, cj, "SuccessfulCreate: Created job "+name(1))
	if got := jobNames(t, client); len(got) != 1 {
		t.Errorf("jobs %q, want only %s", got, name(1))
	}

	// Forbid: the next minute finds the first Job running.
	advance(t, clock, minute(2).Add(time.Second))
	waitEvent(t, client, cj, "JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid")
	if got := jobNames(t, client); !slices.Equal(got, []string{name(1)}) {
		t.Errorf("jobs %q while %s runs with Forbid, want only it", got, name(1))
	}

	// The first finishes: it leaves status.active, and the missed minute
	// starts.
	finish(t, client, j1, batchv1.JobComplete, clock.Now())
	waitEvent(t, client, cj, "SawCompletedJob: Saw completed job: "+name(1)+", condition: Complete")
	j2 := waitJob(t, client, name(2))
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if !slices.Equal(activeNames(s), []string{name(2)}) || s.LastSuccessfulTime == nil || !s.LastScheduleTime.Time.Equal(minute(2)) {
			return fmt.Errorf("status %+v, want %s active, a last successful time, last scheduled at %v", s, name(2), minute(2))
		}
		return nil
	})

	// The second finishes too: one successful Job is kept, the newer.
	advance(t, clock, minute(2).Add(30*time.Second))
	finish(t, client, j2, batchv1.JobComplete, clock.Now())
	waitEvent(t, client, cj, "SuccessfulDelete: Deleted job "+name(1))
	clustertest.Poll(t, timeout, func() error {
		_, err := client.BatchV1().Jobs("default").Get(t.Context(), name(1), metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("job %s: %v, want it deleted", name(1), err)
		}
		return nil
	})
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if len(s.Active) != 0 || s.LastSuccessfulTime == nil || !s.LastSuccessfulTime.Time.Equal(clock.Now().Truncate(time.Second)) {
			return fmt.Errorf("status %+v, want none active, last successful at %v", s, clock.Now())
		}
		return nil
	})
	if got := jobNames(t, client); !slices.Equal(got, []string{name(2)}) {
		t.Errorf("jobs %q, want only %s", got, name(2))
	}
	for _, e := range events(t, client, string(cj.UID)) {
		if strings.HasPrefix(e, "Warning") || strings.HasPrefix(e, "UnexpectedJob") || strings.HasPrefix(e, "FailedCreate") {
			t.Errorf("unexpected event %q", e)
		}
	}
}

// TestCronJobReplace: with concurrencyPolicy Replace the next minute
// deletes the Job still running and starts its own; the scheduled
// timestamp is in spec.timeZone; a failedJobsHistoryLimit of 0 deletes a
// Job as soon as it failed.
func TestCronJobReplace(t *testing.T) {
	t.Parallel()
	client, clock := start(t)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	cj := newCronJob("replace")
	cj.Spec.ConcurrencyPolicy = batchv1.ReplaceConcurrent
	cj.Spec.TimeZone = ptr.To("Asia/Tokyo")
	cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](0)
	if cj, err = client.BatchV1().CronJobs("default").Create(t.Context(), cj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	minute := func(i int) time.Time {
		return cj.CreationTimestamp.Truncate(time.Minute).Add(time.Duration(i) * time.Minute)
	}
	name := func(i int) string { return fmt.Sprintf("replace-%d", minute(i).Unix()/60) }

	advance(t, clock, minute(1).Add(time.Second))
	j1 := waitJob(t, client, name(1))
	if got, want := j1.Annotations[batchv1.CronJobScheduledTimestampAnnotation], minute(1).In(tokyo).Format(time.RFC3339); got != want {
		t.Errorf("scheduled timestamp %q, want %q, in Asia/Tokyo", got, want)
	}
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if !slices.Equal(activeNames(s), []string{name(1)}) {
			return fmt.Errorf("active %q, want %s", activeNames(s), name(1))
		}
		return nil
	})

	advance(t, clock, minute(2).Add(time.Second))
	waitEvent(t, client, cj, "SuccessfulDelete: Deleted job "+name(1))
	j2 := waitJob(t, client, name(2))
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if !slices.Equal(activeNames(s), []string{name(2)}) {
			return fmt.Errorf("active %q, want only %s", activeNames(s), name(2))
		}
		return nil
	})
	clustertest.Poll(t, timeout, func() error {
		if got := jobNames(t, client); !slices.Equal(got, []string{name(2)}) {
			return fmt.Errorf("jobs %q, want %s replaced by %s", got, name(1), name(2))
		}
		return nil
	})

	finish(t, client, j2, batchv1.JobFailed, clock.Now())
	waitEvent(t, client, cj, "SuccessfulDelete: Deleted job "+name(2))
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if len(s.Active) != 0 || s.LastSuccessfulTime != nil {
			return fmt.Errorf("status %+v, want none active and no success", s)
		}
		return nil
	})
	clustertest.Poll(t, timeout, func() error {
		if got := jobNames(t, client); len(got) != 0 {
			return fmt.Errorf("jobs %q, want the failed one deleted", got)
		}
		return nil
	})
}

// TestCronJobTooManyMissed: a clock far past the creation time warns of
// too many missed start times and starts one Job, for the latest.
func TestCronJobTooManyMissed(t *testing.T) {
	t.Parallel()
	client, clock := start(t)
	cj := newCronJob("late")
	cj.Spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	cj, err := client.BatchV1().CronJobs("default").Create(t.Context(), cj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	latest := cj.CreationTimestamp.Truncate(time.Minute).Add(200 * time.Minute)
	advance(t, clock, latest.Add(time.Second))
	name := fmt.Sprintf("late-%d", latest.Unix()/60)
	waitEvent(t, client, cj, "TooManyMissedTimes: too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
	waitJob(t, client, name)
	waitStatus(t, client, cj.Name, func(s batchv1.CronJobStatus) error {
		if !slices.Equal(activeNames(s), []string{name}) || !s.LastScheduleTime.Time.Equal(latest) {
			return fmt.Errorf("status %+v, want %s active, last scheduled at %v", s, name, latest)
		}
		return nil
	})
	if got := jobNames(t, client); !slices.Equal(got, []string{name}) {
		t.Errorf("jobs %q, want only %s", got, name)
	}
}
