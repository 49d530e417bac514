package job

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	base, limit := 10*time.Second, 6*time.Minute
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second},
		{6, 320 * time.Second}, {7, 6 * time.Minute}, {100, 6 * time.Minute},
	} {
		if got := backoffDelay(tt.failures, base, limit); got != tt.want {
			t.Errorf("backoffDelay(%d) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func finishedPod(phase corev1.PodPhase, at time.Time) *corev1.Pod {
	return &corev1.Pod{Status: corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(at)}},
	}}}}
}

func TestBackoffNext(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := backoff{}.next(nil, []*corev1.Pod{finishedPod(corev1.PodFailed, t0.Add(2*time.Second)), finishedPod(corev1.PodFailed, t0)})
	if r.failures != 2 || !r.lastFailure.Equal(t0.Add(2*time.Second)) {
		t.Errorf("two failures: %+v", r)
	}
	if got := r.remaining(t0.Add(5*time.Second), 10*time.Second, time.Minute); got != 17*time.Second {
		t.Errorf("remaining = %v, want 20s less the 3s since", got)
	}
	r = r.next([]*corev1.Pod{finishedPod(corev1.PodSucceeded, t0.Add(3*time.Second))},
		[]*corev1.Pod{finishedPod(corev1.PodFailed, t0.Add(4*time.Second)), finishedPod(corev1.PodFailed, t0.Add(time.Second))})
	if r.failures != 1 || !r.lastFailure.Equal(t0.Add(4*time.Second)) {
		t.Errorf("a success between: %+v, want the one failure after it", r)
	}
	if r = r.next([]*corev1.Pod{finishedPod(corev1.PodSucceeded, t0.Add(5*time.Second))}, nil); r.failures != 0 {
		t.Errorf("a success resets: %+v", r)
	}
}
