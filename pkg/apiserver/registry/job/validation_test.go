package job

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// pi is the Job a client sends, changed by edit, then defaulted and given
// its generated selector as the API server does on create.
func pi(edit func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "1a2b3c"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "pi", Image: "perl"}},
		}}},
	}
	if edit != nil {
		edit(j)
	}
	setDefaults(j)
	if !*j.Spec.ManualSelector {
		generateSelector(j)
	}
	return j
}

func indexed(completions int32) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		j.Spec.Completions = ptr.To(completions)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*batchv1.Job)
		want func(*batchv1.JobSpec) string // what is wrong, "" if nothing
	}{
		{"nothing set", nil, func(s *batchv1.JobSpec) string {
			if *s.Completions != 1 || *s.Parallelism != 1 || *s.BackoffLimit != 6 || *s.CompletionMode != batchv1.NonIndexedCompletion ||
				*s.Suspend || *s.ManualSelector || *s.PodReplacementPolicy != batchv1.TerminatingOrFailed {
				return "want 1 completion, parallelism 1, 6 retries, NonIndexed, not suspended, no manual selector, TerminatingOrFailed"
			}
			return ""
		}},
		{"parallelism only", func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](3) }, func(s *batchv1.JobSpec) string {
			if s.Completions != nil || *s.Parallelism != 3 {
				return "want completions unset (any pod's success completes the Job), parallelism 3"
			}
			return ""
		}},
		{"completions only", func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](5) }, func(s *batchv1.JobSpec) string {
			if *s.Completions != 5 || *s.Parallelism != 1 {
				return "want completions 5, parallelism 1"
			}
			return ""
		}},
		{"backoff limit per index", func(j *batchv1.Job) {
			indexed(3)(j)
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
		}, func(s *batchv1.JobSpec) string {
			if *s.BackoffLimit != math.MaxInt32 {
				return "want no overall backoff limit (MaxInt32)"
			}
			return ""
		}},
		{"pod failure policy", func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
			}}}
		}, func(s *batchv1.JobSpec) string {
			if *s.PodReplacementPolicy != batchv1.Failed || s.PodFailurePolicy.Rules[0].OnPodConditions[0].Status != corev1.ConditionTrue {
				return "want pods replaced once Failed, the pattern's status True"
			}
			return ""
		}},
		{"set values kept", func(j *batchv1.Job) {
			j.Spec.BackoffLimit = ptr.To[int32](0)
			j.Spec.Suspend = ptr.To(true)
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}, func(s *batchv1.JobSpec) string {
			if *s.BackoffLimit != 0 || !*s.Suspend || *s.PodReplacementPolicy != batchv1.Failed {
				return "want backoffLimit 0, suspended, Failed kept"
			}
			return ""
		}},
		{"pod template", nil, func(s *batchv1.JobSpec) string {
			if s.Template.Spec.DNSPolicy != corev1.DNSClusterFirst || s.Template.Spec.Containers[0].TerminationMessagePath == "" {
				return "want the pod template's spec defaulted as a Pod's"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := pi(tc.edit)
			if problem := tc.want(&j.Spec); problem != "" {
				t.Errorf("%s; got %+v", problem, j.Spec)
			}
		})
	}
}

// TestLabelsFromTemplate: a Job without labels takes its template's, the
// generated ones included; one with labels keeps its own.
func TestLabelsFromTemplate(t *testing.T) {
	t.Parallel()
	j := pi(func(j *batchv1.Job) { j.Spec.Template.Labels = map[string]string{"app": "pi"} })
	want := map[string]string{
		"app":                                "pi",
		"batch.kubernetes.io/controller-uid": "1a2b3c",
		"batch.kubernetes.io/job-name":       "pi",
		"controller-uid":                     "1a2b3c",
		"job-name":                           "pi",
	}
	if diff := cmp.Diff(want, j.Labels); diff != "" {
		t.Errorf("job labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, j.Spec.Template.Labels); diff != "" {
		t.Errorf("template labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "1a2b3c"}}, j.Spec.Selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}

	own := pi(func(j *batchv1.Job) {
		j.Labels = map[string]string{"team": "math"}
		j.Spec.Template.Labels = map[string]string{"app": "pi"}
	})
	if diff := cmp.Diff(map[string]string{"team": "math"}, own.Labels); diff != "" {
		t.Errorf("own labels (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	failurePolicy := func(rules ...batchv1.PodFailurePolicyRule) func(*batchv1.Job) {
		return func(j *batchv1.Job) { j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: rules} }
	}
	exitCodes := func(op batchv1.PodFailurePolicyOnExitCodesOperator, values ...int32) *batchv1.PodFailurePolicyOnExitCodesRequirement {
		return &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: op, Values: values}
	}
	successPolicy := func(completions int32, rules ...batchv1.SuccessPolicyRule) func(*batchv1.Job) {
		return func(j *batchv1.Job) {
			indexed(completions)(j)
			j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: rules}
		}
	}
	for _, tc := range []struct {
		name string
		job  *batchv1.Job
		want []string // "path: type: detail" of each error, in order
	}{
		{"defaulted", pi(nil), nil},
		{"restartPolicy left to defaults", pi(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = "" }),
			[]string{`spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`}},
		{"restartPolicy Always", pi(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways }),
			[]string{`spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`}},
		{"restartPolicy OnFailure", pi(func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }), nil},
		{"negative counts", pi(func(j *batchv1.Job) {
			j.Spec.Parallelism = ptr.To[int32](-1)
			j.Spec.Completions = ptr.To[int32](-1)
			j.Spec.ActiveDeadlineSeconds = ptr.To[int64](-1)
			j.Spec.BackoffLimit = ptr.To[int32](-1)
			j.Spec.TTLSecondsAfterFinished = ptr.To[int32](-1)
		}), []string{
			`spec.parallelism: Invalid value: must be greater than or equal to 0`,
			`spec.completions: Invalid value: must be greater than or equal to 0`,
			`spec.activeDeadlineSeconds: Invalid value: must be greater than or equal to 0`,
			`spec.backoffLimit: Invalid value: must be greater than or equal to 0`,
			`spec.ttlSecondsAfterFinished: Invalid value: must be greater than or equal to 0`,
		}},
		{"Indexed without completions", pi(func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.Parallelism = ptr.To[int32](2)
		}), []string{`spec.completions: Required value: when completion mode is Indexed`}},
		{"Indexed, pod hostnames too long", pi(func(j *batchv1.Job) {
			j.Name = strings.Repeat("a", 61)
			indexed(100)(j)
		}), []string{`metadata.name: Invalid value: will not able to create pod with invalid DNS label: ` + strings.Repeat("a", 61) + `-99`}},
		{"unknown completion mode", pi(func(j *batchv1.Job) { j.Spec.CompletionMode = ptr.To[batchv1.CompletionMode]("Sometimes") }),
			[]string{`spec.completionMode: Unsupported value: supported values: "NonIndexed", "Indexed"`}},
		{"Indexed limits", pi(func(j *batchv1.Job) {
			indexed(3)(j)
			j.Spec.Parallelism = ptr.To[int32](100_001)
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.MaxFailedIndexes = ptr.To[int32](4)
		}), []string{
			`spec.parallelism: Invalid value: must be less than or equal to 100000 when completion mode is Indexed`,
			`spec.maxFailedIndexes: Invalid value: must be less than or equal to completions`,
		}},
		{"Indexed above the soft limit with backoff per index", pi(func(j *batchv1.Job) {
			indexed(100_001)(j)
			j.Name = "p"
			j.Spec.Parallelism = ptr.To[int32](10_001)
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
		}), []string{
			`spec.maxFailedIndexes: Required value: must be specified when completions is above 100000`,
			`spec.parallelism: Invalid value: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index`,
		}},
		{"per-index limits on a NonIndexed Job", pi(func(j *batchv1.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.MaxFailedIndexes = ptr.To[int32](1)
		}), []string{
			`spec.backoffLimitPerIndex: Invalid value: requires indexed completion mode`,
			`spec.maxFailedIndexes: Invalid value: requires indexed completion mode`,
		}},
		{"maxFailedIndexes without backoffLimitPerIndex", pi(func(j *batchv1.Job) {
			indexed(3)(j)
			j.Spec.MaxFailedIndexes = ptr.To[int32](1)
		}), []string{`spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified`}},
		{"managedBy", pi(func(j *batchv1.Job) { j.Spec.ManagedBy = ptr.To("kueue") }),
			[]string{`spec.managedBy: Invalid value: must be a domain-prefixed path (such as "acme.io/foo")`}},
		{"managedBy too long", pi(func(j *batchv1.Job) { j.Spec.ManagedBy = ptr.To("example.com/" + strings.Repeat("x", 60)) }),
			[]string{`spec.managedBy: Too long: may not be more than 63 bytes`}},
		{"manual selector that does not match the template", pi(func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
			j.Spec.Template.Labels = map[string]string{"app": "other"}
		}), []string{"spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`"}},
		{"manual selector", pi(func(j *batchv1.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
			j.Spec.Template.Labels = map[string]string{"app": "pi"}
		}), nil},
		{"manual selector missing", pi(func(j *batchv1.Job) { j.Spec.ManualSelector = ptr.To(true) }),
			[]string{
				`spec.selector: Required value: `,
				// A missing selector selects nothing, as upstream.
				"spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
			}},
		{"generated labels the client set otherwise", pi(func(j *batchv1.Job) {
			j.Spec.Template.Labels = map[string]string{"controller-uid": "someone-else", "batch.kubernetes.io/job-name": "other"}
		}), []string{
			`spec.template.metadata.labels[controller-uid]: Invalid value: must be '1a2b3c'`,
			`spec.template.metadata.labels[batch.kubernetes.io/job-name]: Invalid value: must be 'pi'`,
		}},
		{"selector that is not the generated one", pi(func(j *batchv1.Job) {
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "other"}}
		}), []string{
			"spec.selector: Invalid value: `selector` not auto-generated",
			"spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
		}},
		{"no uid", pi(func(j *batchv1.Job) { j.UID = "" }), []string{`metadata.uid: Required value: `}},

		// Pod failure policies.
		{"pod failure policy", pi(failurePolicy(
			batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1, 42)},
			batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}}},
			batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionCount, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpNotIn, 0)},
		)), nil},
		{"pod failure policy with restartPolicy OnFailure", pi(func(j *batchv1.Job) {
			failurePolicy(batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)})(j)
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}), []string{`spec.template.spec.restartPolicy: Invalid value: only "Never" is supported when podFailurePolicy is specified`}},
		{"pod failure policy with pods replaced while terminating", pi(func(j *batchv1.Job) {
			failurePolicy(batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)})(j)
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}), []string{`spec.podReplacementPolicy: Unsupported value: supported values: "Failed"`}},
		{"unknown pod replacement policy", pi(func(j *batchv1.Job) { j.Spec.PodReplacementPolicy = ptr.To[batchv1.PodReplacementPolicy]("Never") }),
			[]string{`spec.podReplacementPolicy: Unsupported value: supported values: "Failed", "TerminatingOrFailed"`}},
		{"rule actions", pi(failurePolicy(
			batchv1.PodFailurePolicyRule{OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)},
			batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)},
			batchv1.PodFailurePolicyRule{Action: "Retry", OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)},
		)), []string{
			`spec.podFailurePolicy.rules[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]`,
			`spec.podFailurePolicy.rules[1].action: Invalid value: requires the backoffLimitPerIndex to be set`,
			`spec.podFailurePolicy.rules[2].action: Unsupported value: supported values: "Count", "FailIndex", "FailJob", "Ignore"`,
		}},
		{"FailIndex with backoffLimitPerIndex", pi(func(j *batchv1.Job) {
			indexed(3)(j)
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			failurePolicy(batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)})(j)
		}), nil},
		{"rule requirements", pi(failurePolicy(
			batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore},
			batchv1.PodFailurePolicyRule{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnExitCodes:     exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1),
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
			},
		)), []string{
			`spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required`,
			`spec.podFailurePolicy.rules[1]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported`,
		}},
		{"exit codes", pi(func(j *batchv1.Job) {
			codes := exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 0, 3, 3, 2)
			codes.ContainerName = ptr.To("sidecar")
			none := exitCodes("")
			failurePolicy(
				batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: codes},
				batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: none},
				batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exitCodes("Is", 1)},
			)(j)
		}), []string{
			`spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: must be one of the container or initContainer names in the pod template`,
			`spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: must not be 0 for the In operator`,
			`spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: `,
			`spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: must be ordered`,
			`spec.podFailurePolicy.rules[1].onExitCodes.operator: Required value: valid values: ["In" "NotIn"]`,
			`spec.podFailurePolicy.rules[1].onExitCodes.values: Invalid value: at least one value is required`,
			`spec.podFailurePolicy.rules[2].onExitCodes.operator: Unsupported value: supported values: "In", "NotIn"`,
		}},
		{"exit codes of an init container", pi(func(j *batchv1.Job) {
			j.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: "busybox"}}
			codes := exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)
			codes.ContainerName = ptr.To("setup")
			failurePolicy(batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: codes})(j)
		}), nil},
		{"too many exit codes", pi(func(j *batchv1.Job) {
			codes := exitCodes(batchv1.PodFailurePolicyOnExitCodesOpNotIn)
			for i := range int32(256) {
				codes.Values = append(codes.Values, i)
			}
			failurePolicy(batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: codes})(j)
		}), []string{`spec.podFailurePolicy.rules[0].onExitCodes.values: Too many: must have at most 255 items`}},
		{"pod condition patterns", pi(failurePolicy(batchv1.PodFailurePolicyRule{
			Action:          batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: "not a name!"}, {Type: corev1.DisruptionTarget, Status: "Maybe"}},
		})), []string{
			`spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			`spec.podFailurePolicy.rules[0].onPodConditions[1].status: Unsupported value: supported values: "False", "True", "Unknown"`,
		}},
		{"too many rules", pi(func(j *batchv1.Job) {
			rule := batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: exitCodes(batchv1.PodFailurePolicyOnExitCodesOpIn, 1)}
			failurePolicy(make([]batchv1.PodFailurePolicyRule, 21)...)(j)
			for i := range j.Spec.PodFailurePolicy.Rules {
				j.Spec.PodFailurePolicy.Rules[i] = rule
			}
		}), []string{`spec.podFailurePolicy.rules: Too many: must have at most 20 items`}},

		// Success policies.
		{"success policy", pi(successPolicy(5,
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-4"), SucceededCount: ptr.To[int32](2)},
			batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](5)},
		)), nil},
		{"success policy of a NonIndexed Job", pi(func(j *batchv1.Job) {
			j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededCount: ptr.To[int32](1)}}}
		}), []string{`spec.successPolicy: Invalid value: requires indexed completion mode`}},
		{"success policy without rules", pi(successPolicy(5)),
			[]string{`spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified`}},
		{"success policy rules", pi(successPolicy(5,
			batchv1.SuccessPolicyRule{},
			batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](6)},
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0-1"), SucceededCount: ptr.To[int32](3)},
			batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](-1)},
		)), []string{
			`spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified`,
			`spec.successPolicy.rules[1].succeededCount: Invalid value: must be less than or equal to 5 (the number of specified completions)`,
			`spec.successPolicy.rules[2].succeededCount: Invalid value: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)`,
			`spec.successPolicy.rules[3].succeededCount: Invalid value: must be greater than or equal to 0`,
		}},
		{"succeeded indexes", pi(successPolicy(5,
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("3,1")},
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("1-5")},
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("1-2-3")},
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("a")},
			batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("3-2")},
		)), []string{
			`spec.successPolicy.rules[0].succeededIndexes: Invalid value: error parsing succeededIndexes: non-increasing order, previous: 3, current: 1`,
			`spec.successPolicy.rules[1].succeededIndexes: Invalid value: error parsing succeededIndexes: too large index: "5"`,
			`spec.successPolicy.rules[2].succeededIndexes: Invalid value: error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by '-'`,
			`spec.successPolicy.rules[3].succeededIndexes: Invalid value: error parsing succeededIndexes: cannot convert string to integer for index: "a"`,
			`spec.successPolicy.rules[4].succeededIndexes: Invalid value: error parsing succeededIndexes: non-increasing order, previous: 3, current: 2`,
		}},
		{"too many success rules", pi(func(j *batchv1.Job) {
			rules := make([]batchv1.SuccessPolicyRule, 21)
			for i := range rules {
				rules[i].SucceededCount = ptr.To[int32](1)
			}
			successPolicy(5, rules...)(j)
		}), []string{`spec.successPolicy.rules: Too many: must have at most 20 items`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.job), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	running := func(edit func(*batchv1.Job)) *batchv1.Job {
		j := pi(edit)
		j.Status.StartTime = ptr.To(metav1.Now())
		j.Status.Active = 1
		return j
	}
	suspended := func(edit func(*batchv1.Job)) *batchv1.Job {
		return pi(func(j *batchv1.Job) {
			j.Spec.Suspend = ptr.To(true)
			if edit != nil {
				edit(j)
			}
		})
	}
	// schedule changes what a queue controller may change in a suspended
	// Job's template before it resumes it.
	schedule := func(j *batchv1.Job) {
		t := &j.Spec.Template
		if t.Labels == nil {
			t.Labels = map[string]string{}
		}
		t.Labels["queue"] = "gpu"
		t.Annotations = map[string]string{"admitted": "true"}
		t.Spec.NodeSelector = map[string]string{"pool": "gpu"}
		t.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		t.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/quota"}}
		t.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}},
		}}}
		t.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
	}
	image := func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "perl:5.40" }
	const templateImmutable = `spec.template: Invalid value: field is immutable`

	for _, tc := range []struct {
		name string
		old  *batchv1.Job
		edit func(*batchv1.Job)
		want []string
	}{
		{"nothing changed", running(nil), func(*batchv1.Job) {}, nil},
		{"parallelism and suspension change", running(nil), func(j *batchv1.Job) {
			j.Spec.Parallelism = ptr.To[int32](4)
			j.Spec.Suspend = ptr.To(true)
			j.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
		}, nil},
		{"completions", running(nil), func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](5) },
			[]string{`spec.completions: Invalid value: field is immutable`}},
		{"Indexed completions with parallelism", running(indexed(3)), func(j *batchv1.Job) {
			j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](5), ptr.To[int32](5)
		}, nil},
		{"Indexed completions alone", running(indexed(3)), func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](5) },
			[]string{`spec.completions: Invalid value: can only be modified in tandem with spec.parallelism`}},
		{"selector", running(nil), func(j *batchv1.Job) {
			j.Spec.Selector.MatchLabels["job-name"] = "pi"
		}, []string{`spec.selector: Invalid value: field is immutable`}},
		{"template of a running Job", running(nil), image, []string{templateImmutable}},
		{"scheduling of a running Job", running(nil), schedule, []string{templateImmutable}},
		{"scheduling of a Job suspended before it started", suspended(nil), schedule, nil},
		{"image of a Job suspended before it started", suspended(nil), image, []string{templateImmutable}},
		{"container added to a suspended Job", suspended(nil), func(j *batchv1.Job) {
			j.Spec.Template.Spec.Containers = append(j.Spec.Template.Spec.Containers, corev1.Container{
				Name: "log", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			})
		}, []string{templateImmutable}},
		{"scheduling of a Job suspended after it ran, pods gone", suspended(func(j *batchv1.Job) {
			j.Status.StartTime = ptr.To(metav1.Now())
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}
		}), schedule, nil},
		{"scheduling of a Job suspended after it ran, pods still active", suspended(func(j *batchv1.Job) {
			j.Status.StartTime = ptr.To(metav1.Now())
			j.Status.Active = 2
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}
		}), schedule, []string{templateImmutable}},
		{"scheduling of a Job being suspended", suspended(func(j *batchv1.Job) { j.Status.StartTime = ptr.To(metav1.Now()) }),
			schedule, []string{templateImmutable}},
		{"scheduling while resuming", suspended(nil), func(j *batchv1.Job) {
			schedule(j)
			j.Spec.Suspend = ptr.To(false)
		}, nil},
		{"affinity removed from a suspended Job", suspended(schedule), func(j *batchv1.Job) { j.Spec.Template.Spec.Affinity = nil }, nil},
		{"pod affinity of a suspended Job", suspended(nil), func(j *batchv1.Job) {
			j.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{}}
		}, []string{templateImmutable}},
		{"how pods complete and fail", running(nil), func(j *batchv1.Job) {
			j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
			j.Spec.ManagedBy = ptr.To("example.com/queue")
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}}
			j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		}, []string{
			`spec.completionMode: Invalid value: field is immutable`,
			`spec.podFailurePolicy: Invalid value: field is immutable`,
			`spec.managedBy: Invalid value: field is immutable`,
		}},
		{"per-index backoff and success policy", running(indexed(3)), func(j *batchv1.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededCount: ptr.To[int32](1)}}}
		}, []string{
			`spec.backoffLimitPerIndex: Invalid value: field is immutable`,
			`spec.successPolicy: Invalid value: field is immutable`,
		}},
		{"Job from before the prefixed labels", func() *batchv1.Job {
			j := running(nil)
			delete(j.Spec.Template.Labels, batchv1.JobNameLabel)
			delete(j.Spec.Template.Labels, batchv1.ControllerUidLabel)
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"controller-uid": "1a2b3c"}}
			return j
		}(), func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](2) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			updated := tc.old.DeepCopy()
			tc.edit(updated)
			checkErrors(t, validateUpdate(updated, tc.old), tc.want)
		})
	}
}

// checkErrors compares errs with want, each "path: type: detail"; the
// values are left out, as templates make them long.
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	got := make([]string, len(errs))
	for i, err := range errs {
		got[i] = fmt.Sprintf("%s: %s: %s", err.Field, err.Type, err.Detail)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
