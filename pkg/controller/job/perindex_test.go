package job

import (
	"maps"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// failedPod is a failed pod of index ix whose container exited with code
// at finished, with the failure-count annotations given ("" leaves one
// out).
func failedPod(ix int, code int32, counted, ignored string, finished time.Time) *corev1.Pod {
	p := indexedPod(ix)
	p.Finalizers = []string{batchv1.JobTrackingFinalizer}
	if counted != "" {
		p.Annotations[batchv1.JobIndexFailureCountAnnotation] = counted
	}
	if ignored != "" {
		p.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation] = ignored
	}
	p.Status = corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{
		Name:  "main",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.NewTime(finished)}},
	}}}
	return p
}

func perIndexJob(limit int32, rules ...batchv1.PodFailurePolicyRule) *batchv1.Job {
	j := &batchv1.Job{Spec: batchv1.JobSpec{
		Completions:          ptr.To[int32](4),
		CompletionMode:       ptr.To(batchv1.IndexedCompletion),
		BackoffLimitPerIndex: ptr.To(limit),
	}}
	if len(rules) > 0 {
		j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: rules}
	}
	return j
}

func exitRule(action batchv1.PodFailurePolicyAction, code int32) batchv1.PodFailurePolicyRule {
	return batchv1.PodFailurePolicyRule{Action: action, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
		Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{code},
	}}
}

func TestIndexFailureCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		counted, ignored string
		want             [2]int32
	}{
		{"", "", [2]int32{0, 0}},
		{"2", "1", [2]int32{2, 1}},
		{"-1", "x", [2]int32{0, 0}},        // a user's bad value reads as none
		{"2147483648", "", [2]int32{0, 0}}, // beyond int32
	}
	for _, tt := range tests {
		c, i := indexFailureCounts(failedPod(0, 1, tt.counted, tt.ignored, time.Time{}))
		if got := [2]int32{c, i}; got != tt.want {
			t.Errorf("counts of %q/%q = %v, want %v", tt.counted, tt.ignored, got, tt.want)
		}
	}
}

func TestFailsIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		job  *batchv1.Job
		pod  *corev1.Pod
		want bool
	}{
		{"first failure within the limit", perIndexJob(1), failedPod(0, 1, "0", "", time.Time{}), false},
		{"failure at the limit", perIndexJob(1), failedPod(0, 1, "1", "", time.Time{}), true},
		{"limit 0", perIndexJob(0), failedPod(0, 1, "", "", time.Time{}), true},
		{"FailIndex rule", perIndexJob(5, exitRule(batchv1.PodFailurePolicyActionFailIndex, 3)), failedPod(0, 3, "0", "", time.Time{}), true},
		{"ignored failure", perIndexJob(1, exitRule(batchv1.PodFailurePolicyActionIgnore, 1)), failedPod(0, 1, "1", "", time.Time{}), false},
		{"running pod", perIndexJob(0), indexedPod(0), false},
	}
	for _, tt := range tests {
		if got := failsIndex(tt.job, tt.pod); got != tt.want {
			t.Errorf("%s: failsIndex = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReplacementCounts(t *testing.T) {
	t.Parallel()
	ignore := exitRule(batchv1.PodFailurePolicyActionIgnore, 7)
	tests := []struct {
		name string
		job  *batchv1.Job
		last *corev1.Pod
		want map[string]string
	}{
		{"first pod", perIndexJob(2), nil, map[string]string{batchv1.JobIndexFailureCountAnnotation: "0"}},
		{"after a counted failure", perIndexJob(2), failedPod(0, 1, "1", "", time.Time{}),
			map[string]string{batchv1.JobIndexFailureCountAnnotation: "2"}},
		{"after an ignored failure", perIndexJob(2, ignore), failedPod(0, 7, "1", "2", time.Time{}),
			map[string]string{batchv1.JobIndexFailureCountAnnotation: "1", batchv1.JobIndexIgnoredFailureCountAnnotation: "3"}},
	}
	for _, tt := range tests {
		if got := replacementCounts(tt.job, tt.last); !maps.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReadyIndexes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	base, limit := 10*time.Second, time.Minute
	last := map[int]*corev1.Pod{
		1: failedPod(1, 1, "0", "", now.Add(-4*time.Second)),  // first failure: waits 10 s, 6 s left
		2: failedPod(2, 1, "1", "1", now.Add(-5*time.Second)), // third failure: waits 40 s, 35 s left
		3: failedPod(3, 1, "0", "", now.Add(-time.Minute)),    // long past its back-off
	}
	ready, wait := readyIndexes([]int{0, 1, 2, 3}, last, now, base, limit)
	if !slices.Equal(ready, []int{0, 3}) || wait != 0 {
		t.Errorf("ready %v, wait %v; want [0 3] now", ready, wait)
	}
	ready, wait = readyIndexes([]int{1, 2}, last, now, base, limit)
	if ready != nil || wait != 6*time.Second {
		t.Errorf("ready %v, wait %v; want none for 6s", ready, wait)
	}
}

func TestLastFailures(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	j := perIndexJob(3)
	older := failedPod(0, 1, "0", "", now.Add(-time.Minute))
	newer := failedPod(0, 1, "1", "", now)
	newer.Name = "p0-again"
	succeededIx := failedPod(1, 1, "0", "", now)
	failedIx := failedPod(2, 1, "0", "", now)
	replaced := failedPod(3, 1, "0", "", now)
	s := &state{
		job:              j,
		pods:             []*corev1.Pod{older, newer, succeededIx, failedIx, replaced, indexedPod(3)},
		active:           []*corev1.Pod{indexedPod(3)},
		succeededIndexes: indexSet{{1, 1}},
		failedIndexes:    indexSet{{2, 2}},
	}
	got := s.lastFailures()
	if len(got) != 1 || got[0] != newer {
		t.Errorf("lastFailures = %v, want only index 0's latest failure", got)
	}
}
