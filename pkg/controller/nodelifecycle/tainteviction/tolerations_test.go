package tainteviction

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/podstatus"
)

func TestMatchingTolerations(t *testing.T) {
	t.Parallel()
	unreachable := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	maint := corev1.Taint{Key: "maint", Value: "now", Effect: corev1.TaintEffectNoExecute}
	tolUnreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	tolAll := corev1.Toleration{Operator: corev1.TolerationOpExists}
	tolMaintOther := corev1.Toleration{Key: "maint", Value: "later", Effect: corev1.TaintEffectNoExecute}
	tolMaint := corev1.Toleration{Key: "maint", Operator: corev1.TolerationOpEqual, Value: "now"}
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		wantOK      bool
		wantUsed    []corev1.Toleration
	}{
		{name: "no taints", tolerations: []corev1.Toleration{tolAll}, wantOK: true, wantUsed: []corev1.Toleration{}},
		{name: "no tolerations", taints: []corev1.Taint{unreachable}},
		{name: "tolerated", taints: []corev1.Taint{unreachable}, tolerations: []corev1.Toleration{tolUnreachable}, wantOK: true, wantUsed: []corev1.Toleration{tolUnreachable}},
		{name: "one of two not tolerated", taints: []corev1.Taint{unreachable, maint}, tolerations: []corev1.Toleration{tolUnreachable, tolMaintOther}},
		{
			name: "first match per taint", taints: []corev1.Taint{unreachable, maint}, tolerations: []corev1.Toleration{tolMaint, tolUnreachable, tolAll},
			wantOK: true, wantUsed: []corev1.Toleration{tolUnreachable, tolMaint},
		},
		{
			name: "Gt is off", taints: []corev1.Taint{{Key: "sla", Value: "950", Effect: corev1.TaintEffectNoExecute}},
			tolerations: []corev1.Toleration{{Key: "sla", Operator: corev1.TolerationOpGt, Value: "900"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logger, _ := ktesting.NewTestContext(t)
			ok, used := matchingTolerations(logger, tc.taints, tc.tolerations)
			if ok != tc.wantOK {
				t.Errorf("tolerated = %v, want %v", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.wantUsed, used); diff != "" {
				t.Errorf("used tolerations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMinTolerationTime(t *testing.T) {
	t.Parallel()
	secs := func(s int64) corev1.Toleration { return corev1.Toleration{TolerationSeconds: ptr.To(s)} }
	tests := []struct {
		name        string
		tolerations []corev1.Toleration
		want        time.Duration
	}{
		{name: "none: evict now", want: 0},
		{name: "forever", tolerations: []corev1.Toleration{{}}, want: -1},
		{name: "the shortest", tolerations: []corev1.Toleration{secs(300), {}, secs(60)}, want: time.Minute},
		{name: "zero", tolerations: []corev1.Toleration{secs(300), secs(0)}, want: 0},
		{name: "negative counts as zero", tolerations: []corev1.Toleration{secs(-5)}, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := minTolerationTime(tc.tolerations); got != tc.want {
				t.Errorf("minTolerationTime = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNoExecuteTaints(t *testing.T) {
	t.Parallel()
	in := []corev1.Taint{
		{Key: "a", Effect: corev1.TaintEffectNoSchedule}, {Key: "b", Effect: corev1.TaintEffectNoExecute},
		{Key: "c", Effect: corev1.TaintEffectPreferNoSchedule}, {Key: "d", Effect: corev1.TaintEffectNoExecute},
	}
	want := []corev1.Taint{in[1], in[3]}
	if diff := cmp.Diff(want, noExecuteTaints(in)); diff != "" {
		t.Errorf("noExecuteTaints (-want +got):\n%s", diff)
	}
}

func TestSetPodCondition(t *testing.T) {
	t.Parallel()
	then := metav1.NewTime(time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	target := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "DeletionByTaintManager", ObservedGeneration: 1}
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: then}
	withTime := func(c corev1.PodCondition, at metav1.Time) corev1.PodCondition { c.LastTransitionTime = at; return c }
	tests := []struct {
		name        string
		conditions  []corev1.PodCondition
		want        []corev1.PodCondition
		wantChanged bool
	}{
		{name: "added", conditions: []corev1.PodCondition{ready}, want: []corev1.PodCondition{ready, withTime(target, now)}, wantChanged: true},
		{name: "already there", conditions: []corev1.PodCondition{withTime(target, then)}, want: []corev1.PodCondition{withTime(target, then)}},
		{
			name:       "status flips: new transition time",
			conditions: []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionFalse, LastTransitionTime: then}},
			want:       []corev1.PodCondition{withTime(target, now)}, wantChanged: true,
		},
		{
			name:       "same status, other reason: old transition time",
			conditions: []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "Other", LastTransitionTime: then}},
			want:       []corev1.PodCondition{withTime(target, then)}, wantChanged: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := &corev1.PodStatus{Conditions: tc.conditions}
			changed := podstatus.SetCondition(status, target, now)
			if diff := cmp.Diff(tc.want, status.Conditions); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
		})
	}
}
