package job

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestMatchFailurePolicy(t *testing.T) {
	t.Parallel()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}, Status: corev1.PodStatus{
		Phase:      corev1.PodFailed,
		Conditions: []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
		ContainerStatuses: []corev1.ContainerStatus{
			{Name: "ok", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}},
			{Name: "main", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}},
		},
	}}
	exit := func(op batchv1.PodFailurePolicyOnExitCodesOperator, codes ...int32) *batchv1.PodFailurePolicyOnExitCodesRequirement {
		return &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: op, Values: codes}
	}
	tests := []struct {
		name  string
		rules []batchv1.PodFailurePolicyRule
		want  verdict
	}{
		{name: "no rule matches: counted", rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionIgnore, OnExitCodes: exit("In", 4)}}},
		{name: "ignore on a condition", rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}}},
		{name: "fail job on exit code, zero never matches", rules: []batchv1.PodFailurePolicyRule{
			{Action: batchv1.PodFailurePolicyActionCount, OnExitCodes: exit("In", 9)},
			{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exit("NotIn", 1, 2)},
		}, want: verdict{failJob: "Container main for pod ns/p failed with exit code 3 matching FailJob rule at index 1"}},
		{name: "fail job on a condition", rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionFailJob,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}},
			want: verdict{failJob: "Pod ns/p has condition DisruptionTarget matching FailJob rule at index 0"}},
		{name: "another container's name", rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionFailIndex,
			OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr.To("other"), Operator: "In", Values: []int32{3}}}}},
		{name: "fail index", rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: exit("In", 3)}},
			want: verdict{failIndex: true}},
	}
	tests[1].want = verdict{ignore: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := matchFailurePolicy(&batchv1.PodFailurePolicy{Rules: tt.rules}, pod); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMatchSuccessPolicy(t *testing.T) {
	t.Parallel()
	succeeded := parseIndexes("0-2,5", 10)
	tests := []struct {
		name string
		rule batchv1.SuccessPolicyRule
		want bool
	}{
		{name: "all indexes named succeeded", rule: batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2,5")}, want: true},
		{name: "one named index missing", rule: batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-3")}},
		{name: "enough of the named", rule: batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-9"), SucceededCount: ptr.To[int32](4)}, want: true},
		{name: "count alone", rule: batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg, met := matchSuccessPolicy(&batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{tt.rule}}, 10, succeeded)
			if met != tt.want || (met && msg != "Matched rules at index 0") {
				t.Errorf("got %q, %v; want %v", msg, met, tt.want)
			}
		})
	}
}
