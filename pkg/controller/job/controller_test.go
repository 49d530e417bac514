package job_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/job"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const timeout = 60 * time.Second

// start runs a cluster with a kubelet and every controller but the job
// controller, and the job controller with short delays, and returns a
// client once the default namespace's ServiceAccount exists.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartWith(t, cluster.Options{Controllers: controllertest.Without(job.Name)})
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	jc, err := job.New(client, factory, job.Options{PodFailureBackoff: 100 * time.Millisecond, SyncBatchPeriod: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("job.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { jc.Run(ctx, 5) })
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(t.Context(), "default", metav1.GetOptions{})
		return err
	})
	return client
}

// newJob is a Job whose busybox container runs script.
func newJob(name, script string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                 corev1.RestartPolicyNever,
				TerminationGracePeriodSeconds: ptr.To[int64](1),
				Containers:                    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"sh", "-c", script}}},
			}},
		},
	}
}

func create(t *testing.T, client kubernetes.Interface, j *batchv1.Job) *batchv1.Job {
	t.Helper()
	created, err := client.BatchV1().Jobs(j.Namespace).Create(t.Context(), j, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create job %s: %v", j.Name, err)
	}
	return created
}

func condition(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i, c := range j.Status.Conditions {
		if c.Type == t {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

// waitCondition waits until the Job has a True condition of type ct and
// returns the Job.
func waitCondition(t *testing.T, client kubernetes.Interface, name string, ct batchv1.JobConditionType) *batchv1.Job {
	t.Helper()
	var j *batchv1.Job
	clustertest.Poll(t, timeout, func() error {
		var err error
		if j, err = client.BatchV1().Jobs("default").Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			return err
		}
		if c := condition(j, ct); c == nil || c.Status != corev1.ConditionTrue {
			return fmt.Errorf("job %s has no %s condition: status %+v", name, ct, j.Status)
		}
		return nil
	})
	return j
}

// pods lists the Job's pods by name.
func pods(t *testing.T, client kubernetes.Interface, j *batchv1.Job) []corev1.Pod {
	t.Helper()
	list, err := client.CoreV1().Pods(j.Namespace).List(t.Context(), metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + j.Name})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitFinalizersGone waits until none of the Job's pods has the tracking
// finalizer.
func waitFinalizersGone(t *testing.T, client kubernetes.Interface, j *batchv1.Job) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		for _, p := range pods(t, client, j) {
			if slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
				return fmt.Errorf("pod %s still has the tracking finalizer", p.Name)
			}
		}
		return nil
	})
}

// events are the reasons and messages of the events about the Job.
func events(t *testing.T, client kubernetes.Interface, j *batchv1.Job) []string {
	t.Helper()
	list, err := client.CoreV1().Events(j.Namespace).List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.uid=" + string(j.UID)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}

// waitEvent waits until the Job has an event of that reason and message
// prefix.
func waitEvent(t *testing.T, client kubernetes.Interface, j *batchv1.Job, want string) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		got := events(t, client, j)
		if slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, want) }) {
			return nil
		}
		return fmt.Errorf("events %q, want %q", got, want)
	})
}

// TestJobCompletes: three completions two at a time complete the Job:
// SuccessCriteriaMet then Complete, succeeded 3, startTime and
// completionTime, the pods released, and upstream's events.
func TestJobCompletes(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("three", "echo done")
	j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](2)
	began := time.Now()
	j = create(t, client, j)
	done := waitCondition(t, client, j.Name, batchv1.JobComplete)
	t.Logf("3 completions, parallelism 2: Complete after %v", time.Since(began).Round(time.Millisecond))

	s := done.Status
	if s.Succeeded != 3 || s.Failed != 0 || s.Active != 0 || ptr.Deref(s.Ready, -1) != 0 || ptr.Deref(s.Terminating, -1) != 0 {
		t.Errorf("status %+v, want 3 succeeded and nothing else", s)
	}
	if s.StartTime == nil || s.CompletionTime == nil || s.CompletionTime.Before(s.StartTime) {
		t.Errorf("startTime %v, completionTime %v", s.StartTime, s.CompletionTime)
	}
	if u := s.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
		t.Errorf("uncounted pods left: %+v", u)
	}
	met, complete := condition(done, batchv1.JobSuccessCriteriaMet), condition(done, batchv1.JobComplete)
	for _, c := range []*batchv1.JobCondition{met, complete} {
		if c == nil || c.Reason != "CompletionsReached" || c.Message != "Reached expected number of succeeded pods" {
			t.Errorf("condition %+v, want reason CompletionsReached", c)
		}
	}
	waitFinalizersGone(t, client, j)
	ps := pods(t, client, j)
	if len(ps) != 3 {
		t.Errorf("%d pods, want 3", len(ps))
	}
	for _, p := range ps {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != j.UID || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("pod %s controller %+v, want the Job blocking its deletion", p.Name, ref)
		}
		if p.Status.Phase != corev1.PodSucceeded || !strings.HasPrefix(p.Name, "three-") {
			t.Errorf("pod %s phase %s", p.Name, p.Status.Phase)
		}
	}
	waitEvent(t, client, j, "Completed: Job completed")
	created := 0
	for _, e := range events(t, client, j) {
		if strings.HasPrefix(e, "SuccessfulCreate: Created pod: three-") {
			created++
		}
	}
	if created != 3 {
		t.Errorf("%d SuccessfulCreate events, want 3: %q", created, events(t, client, j))
	}
}

// TestJobBackoffLimit: with backoffLimit 1 the second failed pod fails the
// Job, FailureTarget first.
func TestJobBackoffLimit(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := create(t, client, func() *batchv1.Job {
		j := newJob("fails", "echo no; exit 1")
		j.Spec.BackoffLimit = ptr.To[int32](1)
		return j
	}())
	failed := waitCondition(t, client, j.Name, batchv1.JobFailed)
	for _, ct := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobFailed} {
		c := condition(failed, ct)
		if c == nil || c.Reason != "BackoffLimitExceeded" || c.Message != "Job has reached the specified backoff limit" {
			t.Errorf("%s condition %+v, want BackoffLimitExceeded", ct, c)
		}
	}
	if s := failed.Status; s.Failed != 2 || s.Succeeded != 0 || s.Active != 0 || s.CompletionTime != nil {
		t.Errorf("status %+v, want 2 failed", s)
	}
	if n := len(pods(t, client, j)); n != 2 {
		t.Errorf("%d pods, want 2", n)
	}
	waitFinalizersGone(t, client, j)
	waitEvent(t, client, j, "BackoffLimitExceeded: Job has reached the specified backoff limit")
}

// TestIndexedJob: each pod of an Indexed Job gets its index (annotation,
// label, hostname, name, JOB_COMPLETION_INDEX) and completedIndexes lists
// them all.
func TestIndexedJob(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("indexed", `echo "index $JOB_COMPLETION_INDEX on $(hostname)"`)
	j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](3)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j = create(t, client, j)
	done := waitCondition(t, client, j.Name, batchv1.JobComplete)
	if done.Status.CompletedIndexes != "0-2" || done.Status.Succeeded != 3 {
		t.Errorf("completedIndexes %q, succeeded %d; want 0-2 and 3", done.Status.CompletedIndexes, done.Status.Succeeded)
	}
	seen := map[string]bool{}
	for _, p := range pods(t, client, j) {
		ix := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		seen[ix] = true
		if p.Labels[batchv1.JobCompletionIndexAnnotation] != ix || p.Spec.Hostname != "indexed-"+ix || !strings.HasPrefix(p.Name, "indexed-"+ix+"-") {
			t.Errorf("pod %s: index annotation %q, label %q, hostname %q", p.Name, ix, p.Labels[batchv1.JobCompletionIndexAnnotation], p.Spec.Hostname)
		}
		log, err := client.CoreV1().Pods("default").GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(t.Context())
		if err != nil {
			t.Fatalf("logs of %s: %v", p.Name, err)
		}
		if want := "index " + ix + " on indexed-" + ix + "\n"; string(log) != want {
			t.Errorf("pod %s logged %q, want %q", p.Name, log, want)
		}
	}
	if len(seen) != 3 || !seen["0"] || !seen["1"] || !seen["2"] {
		t.Errorf("indexes %v, want 0, 1 and 2 once each", seen)
	}
}

// TestActiveDeadline: a Job running past activeDeadlineSeconds has its pods
// deleted and fails with DeadlineExceeded.
func TestActiveDeadline(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("deadline", "sleep 3600")
	j.Spec.ActiveDeadlineSeconds = ptr.To[int64](1)
	j = create(t, client, j)
	failed := waitCondition(t, client, j.Name, batchv1.JobFailed)
	c := condition(failed, batchv1.JobFailed)
	if c.Reason != "DeadlineExceeded" || c.Message != "Job was active longer than specified deadline" {
		t.Errorf("Failed condition %+v, want DeadlineExceeded", c)
	}
	if s := failed.Status; s.Active != 0 || s.Failed != 1 || ptr.Deref(s.Terminating, -1) != 0 {
		t.Errorf("status %+v, want 1 failed and none active or terminating", s)
	}
	clustertest.Poll(t, timeout, func() error {
		for _, p := range pods(t, client, j) {
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
				return fmt.Errorf("pod %s still running", p.Name)
			}
		}
		return nil
	})
	waitEvent(t, client, j, "DeadlineExceeded: Job was active longer than specified deadline")
}

// TestSuspend: a Job created suspended runs no pod and has no startTime;
// resumed it runs them and starts; suspended again its pods are deleted
// without counting as failures.
func TestSuspend(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	j := newJob("paused", "sleep 3600")
	j.Spec.Parallelism, j.Spec.Completions = ptr.To[int32](2), ptr.To[int32](2)
	j.Spec.Suspend = ptr.To(true)
	j = create(t, client, j)
	got := waitCondition(t, client, j.Name, batchv1.JobSuspended)
	if c := condition(got, batchv1.JobSuspended); c.Reason != "JobSuspended" || c.Message != "Job suspended" {
		t.Errorf("Suspended condition %+v", c)
	}
	if got.Status.StartTime != nil || len(pods(t, client, j)) != 0 {
		t.Errorf("suspended Job started: startTime %v, %d pods", got.Status.StartTime, len(pods(t, client, j)))
	}

	suspend := func(on bool) {
		patch := fmt.Sprintf(`{"spec":{"suspend":%t}}`, on)
		if _, err := client.BatchV1().Jobs("default").Patch(ctx, j.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	suspend(false)
	clustertest.Poll(t, timeout, func() error {
		got, err := client.BatchV1().Jobs("default").Get(ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		c := condition(got, batchv1.JobSuspended)
		if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "JobResumed" || got.Status.StartTime == nil || ptr.Deref(got.Status.Ready, 0) != 2 {
			return fmt.Errorf("not resumed and running: %+v", got.Status)
		}
		return nil
	})

	suspend(true)
	clustertest.Poll(t, timeout, func() error {
		got, err := client.BatchV1().Jobs("default").Get(ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		c := condition(got, batchv1.JobSuspended)
		if c == nil || c.Status != corev1.ConditionTrue || got.Status.Active != 0 || ptr.Deref(got.Status.Terminating, -1) != 0 {
			return fmt.Errorf("not suspended and stopped: %+v", got.Status)
		}
		if got.Status.Failed != 0 {
			return fmt.Errorf("suspending counted %d failures", got.Status.Failed)
		}
		if n := len(pods(t, client, j)); n != 0 {
			return fmt.Errorf("%d pods left", n)
		}
		return nil
	})
	waitEvent(t, client, j, "Resumed: Job resumed")
	waitEvent(t, client, j, "SuccessfulDelete: Deleted pod: paused-")
}

// TestPodFailurePolicyFailJob: a pod exiting with a code a FailJob rule
// names fails the Job at once, whatever backoffLimit is left.
func TestPodFailurePolicyFailJob(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("policy", "exit 42")
	j.Spec.BackoffLimit = ptr.To[int32](6)
	j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionIgnore, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{7}}},
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
	}}
	j = create(t, client, j)
	failed := waitCondition(t, client, j.Name, batchv1.JobFailed)
	ps := pods(t, client, j)
	if len(ps) != 1 {
		t.Fatalf("%d pods, want 1", len(ps))
	}
	want := fmt.Sprintf("Container main for pod default/%s failed with exit code 42 matching FailJob rule at index 1", ps[0].Name)
	for _, ct := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobFailed} {
		if c := condition(failed, ct); c == nil || c.Reason != "PodFailurePolicy" || c.Message != want {
			t.Errorf("%s condition %+v, want PodFailurePolicy %q", ct, c, want)
		}
	}
	if failed.Status.Failed != 1 {
		t.Errorf("failed %d, want 1", failed.Status.Failed)
	}
}

// TestManagedByOther: a Job another controller manages gets no pods and
// no status from this one.
func TestManagedByOther(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("elsewhere", "echo hi")
	j.Spec.ManagedBy = ptr.To("example.com/other")
	j = create(t, client, j)
	// A Job created after it is synced after it: once that one has
	// started, this one would have been too.
	other := create(t, client, newJob("here", "echo hi"))
	waitCondition(t, client, other.Name, batchv1.JobComplete)
	got, err := client.BatchV1().Jobs("default").Get(t.Context(), j.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.StartTime != nil || len(got.Status.Conditions) > 0 || len(pods(t, client, j)) != 0 {
		t.Errorf("Job managed elsewhere was synced: status %+v", got.Status)
	}
}

// TestBackoffLimitPerIndex: each index has its own back-off limit. Index 1
// fails twice (its second pod carries the first failure in its
// annotation, and passes backoffLimitPerIndex 1), index 2's exit code
// matches a FailIndex rule and fails it at once, the others succeed; once
// every index is done the Job fails with FailedIndexes.
func TestBackoffLimitPerIndex(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("per-index", `case $JOB_COMPLETION_INDEX in 1) exit 1;; 2) exit 3;; esac`)
	j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](4), ptr.To[int32](4)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
	j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}},
	}}
	j = create(t, client, j)
	failed := waitCondition(t, client, j.Name, batchv1.JobFailed)
	for _, ct := range []batchv1.JobConditionType{batchv1.JobFailureTarget, batchv1.JobFailed} {
		if c := condition(failed, ct); c == nil || c.Reason != "FailedIndexes" || c.Message != "Job has failed indexes" {
			t.Errorf("%s condition %+v, want FailedIndexes", ct, c)
		}
	}
	s := failed.Status
	if s.CompletedIndexes != "0,3" || ptr.Deref(s.FailedIndexes, "<nil>") != "1,2" || s.Succeeded != 2 || s.Failed != 3 {
		t.Errorf("status: completedIndexes %q, failedIndexes %q, succeeded %d, failed %d; want 0,3, 1,2, 2 and 3",
			s.CompletedIndexes, ptr.Deref(s.FailedIndexes, "<nil>"), s.Succeeded, s.Failed)
	}
	counts := map[string][]string{}
	for _, p := range pods(t, client, j) {
		ix := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		counts[ix] = append(counts[ix], p.Annotations[batchv1.JobIndexFailureCountAnnotation])
	}
	for ix := range counts {
		slices.Sort(counts[ix])
	}
	want := map[string][]string{"0": {"0"}, "1": {"0", "1"}, "2": {"0"}, "3": {"0"}}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("failure-count annotations by index %v, want %v", counts, want)
	}
	waitFinalizersGone(t, client, j)
	waitEvent(t, client, j, "FailedIndexes: Job has failed indexes")
}

// TestMaxFailedIndexes: once more indexes failed than maxFailedIndexes
// allows, the Job fails without running the rest.
func TestMaxFailedIndexes(t *testing.T) {
	t.Parallel()
	client := start(t)
	j := newJob("max-failed", "exit 1")
	j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](1)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j.Spec.BackoffLimitPerIndex = ptr.To[int32](0)
	j.Spec.MaxFailedIndexes = ptr.To[int32](0)
	j = create(t, client, j)
	failed := waitCondition(t, client, j.Name, batchv1.JobFailed)
	if c := condition(failed, batchv1.JobFailed); c.Reason != "MaxFailedIndexesExceeded" || c.Message != "Job has exceeded the specified maximal number of failed indexes" {
		t.Errorf("Failed condition %+v, want MaxFailedIndexesExceeded", c)
	}
	if s := failed.Status; ptr.Deref(s.FailedIndexes, "<nil>") != "0" || s.Failed != 1 || s.CompletedIndexes != "" {
		t.Errorf("status: failedIndexes %q, failed %d, completedIndexes %q; want 0, 1 and none", ptr.Deref(s.FailedIndexes, "<nil>"), s.Failed, s.CompletedIndexes)
	}
	if n := len(pods(t, client, j)); n != 1 {
		t.Errorf("%d pods, want 1", n)
	}
}
