package job

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// verdict is what a pod failure policy makes of one failed pod.
type verdict struct {
	// failJob, if set, is the message of the Job's failure (a FailJob
	// rule matched).
	failJob string
	// failIndex: a FailIndex rule matched.
	failIndex bool
	// ignore: an Ignore rule matched; the failure does not count.
	ignore bool
}

// matchFailurePolicy applies the first rule of policy that matches the
// failed pod: exit codes of its terminated containers (init containers
// after the others), or its conditions.
func matchFailurePolicy(policy *batchv1.PodFailurePolicy, pod *corev1.Pod) verdict {
	if policy == nil {
		return verdict{}
	}
	for i, rule := range policy.Rules {
		var what string
		switch {
		case rule.OnExitCodes != nil:
			c := matchExitCodes(pod, rule.OnExitCodes)
			if c == nil {
				continue
			}
			what = fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d", c.Name, pod.Namespace, pod.Name, c.State.Terminated.ExitCode)
		case rule.OnPodConditions != nil:
			cond := matchPodConditions(pod, rule.OnPodConditions)
			if cond == nil {
				continue
			}
			what = fmt.Sprintf("Pod %s/%s has condition %s", pod.Namespace, pod.Name, cond.Type)
		default:
			continue
		}
		switch rule.Action {
		case batchv1.PodFailurePolicyActionIgnore:
			return verdict{ignore: true}
		case batchv1.PodFailurePolicyActionFailIndex:
			return verdict{failIndex: true}
		case batchv1.PodFailurePolicyActionFailJob:
			return verdict{failJob: fmt.Sprintf("%s matching %s rule at index %d", what, rule.Action, i)}
		}
		return verdict{} // Count
	}
	return verdict{}
}

// matchExitCodes is the first terminated container of pod, regular before
// init, whose non-zero exit code the requirement matches.
func matchExitCodes(pod *corev1.Pod, req *batchv1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for _, statuses := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for i := range statuses {
			s := &statuses[i]
			t := s.State.Terminated
			if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != s.Name) {
				continue
			}
			in := slices.Contains(req.Values, t.ExitCode)
			if (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && in) ||
				(req.Operator == batchv1.PodFailurePolicyOnExitCodesOpNotIn && !in) {
				return s
			}
		}
	}
	return nil
}

func matchPodConditions(pod *corev1.Pod, patterns []batchv1.PodFailurePolicyOnPodConditionsPattern) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		c := &pod.Status.Conditions[i]
		for _, p := range patterns {
			if c.Type == p.Type && c.Status == p.Status {
				return c
			}
		}
	}
	return nil
}

// matchSuccessPolicy reports whether the succeeded indexes of an Indexed
// Job meet a rule of policy, and the message of its SuccessCriteriaMet
// condition.
func matchSuccessPolicy(policy *batchv1.SuccessPolicy, completions int32, succeeded indexSet) (string, bool) {
	if policy == nil || len(succeeded) == 0 {
		return "", false
	}
	for i, rule := range policy.Rules {
		met := false
		switch {
		case rule.SucceededIndexes != nil:
			want := parseIndexes(*rule.SucceededIndexes, int(completions))
			if len(want) == 0 {
				continue
			}
			got := want.overlap(succeeded)
			met = got == want.total() || (rule.SucceededCount != nil && got >= int(*rule.SucceededCount))
		case rule.SucceededCount != nil:
			met = succeeded.total() >= int(*rule.SucceededCount)
		}
		if met {
			return fmt.Sprintf("Matched rules at index %d", i), true
		}
	}
	return "", false
}
