package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func cond(t corev1.NodeConditionType, s corev1.ConditionStatus) corev1.NodeCondition {
	return corev1.NodeCondition{Type: t, Status: s}
}

func noSched(key string) corev1.Taint {
	return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule}
}

func TestNoScheduleDiff(t *testing.T) {
	t.Parallel()
	healthy := []corev1.NodeCondition{
		cond(corev1.NodeReady, corev1.ConditionTrue), cond(corev1.NodeMemoryPressure, corev1.ConditionFalse),
		cond(corev1.NodeDiskPressure, corev1.ConditionFalse), cond(corev1.NodePIDPressure, corev1.ConditionFalse),
	}
	userTaint := corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name          string
		conditions    []corev1.NodeCondition
		unschedulable bool
		taints        []corev1.Taint
		wantAdd       []corev1.Taint
		wantRemove    []corev1.Taint
	}{
		{name: "ready node, no taints", conditions: healthy},
		{
			name:       "ready node loses the admission's not-ready taint",
			conditions: healthy, taints: []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
			wantRemove: []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
		},
		{
			name:       "a node without conditions loses it too",
			taints:     []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
			wantRemove: []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
		},
		{
			name:       "ready false",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionFalse)},
			wantAdd:    []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
		},
		{
			name:       "ready unknown swaps not-ready for unreachable",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionUnknown)},
			taints:     []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
			wantAdd:    []corev1.Taint{noSched(corev1.TaintNodeUnreachable)},
			wantRemove: []corev1.Taint{noSched(corev1.TaintNodeNotReady)},
		},
		{
			name: "pressure and network conditions, in condition order",
			conditions: []corev1.NodeCondition{
				cond(corev1.NodeReady, corev1.ConditionTrue), cond(corev1.NodePIDPressure, corev1.ConditionTrue),
				cond(corev1.NodeMemoryPressure, corev1.ConditionTrue), cond(corev1.NodeDiskPressure, corev1.ConditionTrue),
				cond(corev1.NodeNetworkUnavailable, corev1.ConditionTrue),
			},
			wantAdd: []corev1.Taint{
				noSched(corev1.TaintNodePIDPressure), noSched(corev1.TaintNodeMemoryPressure),
				noSched(corev1.TaintNodeDiskPressure), noSched(corev1.TaintNodeNetworkUnavailable),
			},
		},
		{
			name:       "pressure over",
			conditions: healthy,
			taints:     []corev1.Taint{noSched(corev1.TaintNodeDiskPressure), userTaint},
			wantRemove: []corev1.Taint{noSched(corev1.TaintNodeDiskPressure)},
		},
		{
			name:       "cordoned",
			conditions: healthy, unschedulable: true, taints: []corev1.Taint{userTaint},
			wantAdd: []corev1.Taint{noSched(corev1.TaintNodeUnschedulable)},
		},
		{
			name:       "uncordoned",
			conditions: healthy, taints: []corev1.Taint{noSched(corev1.TaintNodeUnschedulable)},
			wantRemove: []corev1.Taint{noSched(corev1.TaintNodeUnschedulable)},
		},
		{
			name:       "already right, whatever its value and time",
			conditions: []corev1.NodeCondition{cond(corev1.NodeReady, corev1.ConditionFalse)},
			taints:     []corev1.Taint{{Key: corev1.TaintNodeNotReady, Value: "x", Effect: corev1.TaintEffectNoSchedule, TimeAdded: &metav1.Time{}}},
		},
		{
			name:       "NoExecute taints are not this pass's",
			conditions: healthy,
			taints:     []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}},
		},
		{
			name:       "a user's taint of another key stays",
			conditions: healthy, taints: []corev1.Taint{userTaint, {Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectPreferNoSchedule}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node := &corev1.Node{
				Spec:   corev1.NodeSpec{Unschedulable: tc.unschedulable, Taints: tc.taints},
				Status: corev1.NodeStatus{Conditions: tc.conditions},
			}
			add, remove := noScheduleDiff(node)
			if diff := cmp.Diff(tc.wantAdd, add); diff != "" {
				t.Errorf("taints to add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemove, remove); diff != "" {
				t.Errorf("taints to remove (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyTaints(t *testing.T) {
	t.Parallel()
	now := metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	earlier := metav1.NewTime(now.Add(-time.Hour))
	user := corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}
	unreachable := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
	stamped := func(t corev1.Taint, at metav1.Time) corev1.Taint { t.TimeAdded = &at; return t }
	tests := []struct {
		name        string
		taints      []corev1.Taint
		add, remove []corev1.Taint
		want        []corev1.Taint
		wantChanged bool
	}{
		{name: "nothing to do", taints: []corev1.Taint{user}, want: []corev1.Taint{user}},
		{
			name: "add is stamped and appended", taints: []corev1.Taint{user}, add: []corev1.Taint{unreachable},
			want: []corev1.Taint{user, stamped(unreachable, now)}, wantChanged: true,
		},
		{
			name: "swap keeps the others' order", taints: []corev1.Taint{stamped(notReady, earlier), user},
			add: []corev1.Taint{unreachable}, remove: []corev1.Taint{notReady},
			want: []corev1.Taint{user, stamped(unreachable, now)}, wantChanged: true,
		},
		{
			name: "a taint already there keeps its time", taints: []corev1.Taint{stamped(unreachable, earlier)},
			add: []corev1.Taint{unreachable}, want: []corev1.Taint{stamped(unreachable, earlier)},
		},
		{
			name: "removing what is not there", taints: []corev1.Taint{user}, remove: []corev1.Taint{notReady, unreachable},
			want: []corev1.Taint{user},
		},
		{
			name: "removal matches key and effect only", taints: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Value: "v", Effect: corev1.TaintEffectNoExecute}},
			remove: []corev1.Taint{notReady}, want: []corev1.Taint{}, wantChanged: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := append([]corev1.Taint(nil), tc.taints...)
			got, changed := applyTaints(tc.taints, tc.add, tc.remove, now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("taints (-want +got):\n%s", diff)
			}
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
			if diff := cmp.Diff(before, tc.taints); diff != "" {
				t.Errorf("input modified (-before +after):\n%s", diff)
			}
		})
	}
}
