package podgc

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTerminatedBeyond(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	pod := func(name string, age time.Duration, phase corev1.PodPhase, reason string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age))},
			Status:     corev1.PodStatus{Phase: phase, Reason: reason},
		}
	}
	pods := []*corev1.Pod{
		pod("running-old", 10*time.Hour, corev1.PodRunning, ""),
		pod("pending", 9*time.Hour, corev1.PodPending, ""),
		pod("unknown", 9*time.Hour, corev1.PodUnknown, ""),
		pod("done-b", 5*time.Hour, corev1.PodSucceeded, ""),
		pod("done-a", 5*time.Hour, corev1.PodSucceeded, ""),
		pod("failed-new", time.Hour, corev1.PodFailed, "Error"),
		pod("evicted-new", time.Minute, corev1.PodFailed, "Evicted"),
		pod("done-old", 8*time.Hour, corev1.PodSucceeded, ""),
	}
	tests := []struct {
		threshold int
		want      []string
	}{
		{threshold: 5},
		{threshold: 4, want: []string{"evicted-new"}},
		{threshold: 2, want: []string{"evicted-new", "done-old", "done-a"}},
		{threshold: 1, want: []string{"evicted-new", "done-old", "done-a", "done-b"}},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range terminatedBeyond(pods, tc.threshold) {
			got = append(got, p.Name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("threshold %d: pods to delete (-want +got):\n%s", tc.threshold, diff)
		}
	}
}

func TestOptionsComplete(t *testing.T) {
	t.Parallel()
	got, err := Options{QuarantineTime: time.Second}.complete()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Options{TerminatedPodGCThreshold: 12500, GCCheckPeriod: 20 * time.Second, QuarantineTime: time.Second}); got != want {
		t.Errorf("complete = %+v, want %+v", got, want)
	}
	if _, err := (Options{GCCheckPeriod: -1, QuarantineTime: -1}).complete(); err == nil {
		t.Error("negative periods: no error")
	}
	if got, _ := (Options{TerminatedPodGCThreshold: -1}).complete(); got.TerminatedPodGCThreshold != -1 {
		t.Errorf("a negative threshold (off) became %d", got.TerminatedPodGCThreshold)
	}
}
