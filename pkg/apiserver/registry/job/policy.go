package job

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// Upstream's limits on pod failure and success policies.
const (
	maxPodFailurePolicyRules   = 20
	maxOnExitCodesValues       = 255
	maxOnPodConditionsPatterns = 20
	maxSuccessPolicyRules      = 20
	maxSucceededIndexesLength  = 64 * 1024
)

// The values policies accept, sorted as upstream lists them in errors.
var (
	policyActions = []batchv1.PodFailurePolicyAction{
		batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailIndex,
		batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore,
	}
	exitCodeOperators = []batchv1.PodFailurePolicyOnExitCodesOperator{batchv1.PodFailurePolicyOnExitCodesOpIn, batchv1.PodFailurePolicyOnExitCodesOpNotIn}
	conditionStatuses = []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}
)

// validatePodFailurePolicy checks each rule: a known action (FailIndex only
// with backoffLimitPerIndex), and exactly one of exit codes and pod
// conditions to match.
func validatePodFailurePolicy(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	rules := spec.PodFailurePolicy.Rules
	rulesPath := fld.Child("rules")
	if len(rules) > maxPodFailurePolicyRules {
		errs = append(errs, field.TooMany(rulesPath, len(rules), maxPodFailurePolicyRules))
	}
	var containers []string
	for _, c := range spec.Template.Spec.Containers {
		containers = append(containers, c.Name)
	}
	for _, c := range spec.Template.Spec.InitContainers {
		containers = append(containers, c.Name)
	}
	for i := range rules {
		errs = append(errs, validatePodFailurePolicyRule(spec, &rules[i], containers, rulesPath.Index(i))...)
	}
	return errs
}

func validatePodFailurePolicyRule(spec *batchv1.JobSpec, rule *batchv1.PodFailurePolicyRule, containers []string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	action := fld.Child("action")
	switch {
	case rule.Action == "":
		errs = append(errs, field.Required(action, fmt.Sprintf("valid values: %q", policyActions)))
	case rule.Action == batchv1.PodFailurePolicyActionFailIndex && spec.BackoffLimitPerIndex == nil:
		errs = append(errs, field.Invalid(action, rule.Action, "requires the backoffLimitPerIndex to be set"))
	case !slices.Contains(policyActions, rule.Action):
		errs = append(errs, field.NotSupported(action, rule.Action, policyActions))
	}
	if rule.OnExitCodes != nil {
		errs = append(errs, validateOnExitCodes(rule.OnExitCodes, containers, fld.Child("onExitCodes"))...)
	}
	if len(rule.OnPodConditions) > 0 {
		errs = append(errs, validateOnPodConditions(rule.OnPodConditions, fld.Child("onPodConditions"))...)
	}
	switch {
	case rule.OnExitCodes != nil && len(rule.OnPodConditions) > 0:
		errs = append(errs, field.Invalid(fld, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"))
	case rule.OnExitCodes == nil && len(rule.OnPodConditions) == 0:
		errs = append(errs, field.Invalid(fld, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
	}
	return errs
}

// validateOnExitCodes: a known operator, a container of the template if
// one is named, and 1 to 255 distinct exit codes in order, none of them 0
// for In (a pod that exits 0 has not failed).
func validateOnExitCodes(r *batchv1.PodFailurePolicyOnExitCodesRequirement, containers []string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	operator := fld.Child("operator")
	if r.Operator == "" {
		errs = append(errs, field.Required(operator, fmt.Sprintf("valid values: %q", exitCodeOperators)))
	} else if !slices.Contains(exitCodeOperators, r.Operator) {
		errs = append(errs, field.NotSupported(operator, r.Operator, exitCodeOperators))
	}
	if r.ContainerName != nil && !slices.Contains(containers, *r.ContainerName) {
		errs = append(errs, field.Invalid(fld.Child("containerName"), *r.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	values := fld.Child("values")
	if len(r.Values) == 0 {
		errs = append(errs, field.Invalid(values, r.Values, "at least one value is required"))
	} else if len(r.Values) > maxOnExitCodesValues {
		errs = append(errs, field.TooMany(values, len(r.Values), maxOnExitCodesValues))
	}
	seen := map[int32]bool{}
	for i, v := range r.Values {
		if r.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0 {
			errs = append(errs, field.Invalid(values.Index(i), v, "must not be 0 for the In operator"))
		}
		if seen[v] {
			errs = append(errs, field.Duplicate(values.Index(i), v))
		}
		seen[v] = true
	}
	if !slices.IsSorted(r.Values) {
		errs = append(errs, field.Invalid(values, r.Values, "must be ordered"))
	}
	return errs
}

// validateOnPodConditions: at most 20 patterns, each a condition type that
// is a qualified name and a condition status.
func validateOnPodConditions(patterns []batchv1.PodFailurePolicyOnPodConditionsPattern, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(patterns) > maxOnPodConditionsPatterns {
		errs = append(errs, field.TooMany(fld, len(patterns), maxOnPodConditionsPatterns))
	}
	for i, p := range patterns {
		path := fld.Index(i)
		errs = append(errs, fieldcheck.Invalid(path.Child("type"), string(p.Type), validation.IsQualifiedName(string(p.Type)))...)
		status := path.Child("status")
		if p.Status == "" {
			errs = append(errs, field.Required(status, fmt.Sprintf("valid values: %q", conditionStatuses)))
		} else if !slices.Contains(conditionStatuses, p.Status) {
			errs = append(errs, field.NotSupported(status, p.Status, conditionStatuses))
		}
	}
	return errs
}

// validateSuccessPolicy checks an Indexed Job's success policy: 1 to 20
// rules, each with a count of successes and/or a list of indexes that fit
// in completions.
func validateSuccessPolicy(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	rules := spec.SuccessPolicy.Rules
	rulesPath := fld.Child("rules")
	if len(rules) == 0 {
		errs = append(errs, field.Required(rulesPath, "at least one rules must be specified when the successPolicy is specified"))
	}
	if len(rules) > maxSuccessPolicyRules {
		errs = append(errs, field.TooMany(rulesPath, len(rules), maxSuccessPolicyRules))
	}
	// Without completions (validateCompletionMode's error) no index fits.
	completions := ptr.Deref(spec.Completions, 0)
	for i, rule := range rules {
		path := rulesPath.Index(i)
		if rule.SucceededCount == nil && rule.SucceededIndexes == nil {
			errs = append(errs, field.Required(path, "at least one of succeededCount or succeededIndexes must be specified"))
		}
		var total int32
		if rule.SucceededIndexes != nil {
			indexes := path.Child("succeededIndexes")
			if len(*rule.SucceededIndexes) > maxSucceededIndexesLength {
				errs = append(errs, field.TooLong(indexes, "", maxSucceededIndexesLength))
			}
			var err error
			if total, err = countIndexes(*rule.SucceededIndexes, completions); err != nil {
				errs = append(errs, field.Invalid(indexes, *rule.SucceededIndexes, "error parsing succeededIndexes: "+err.Error()))
			}
		}
		if c := rule.SucceededCount; c != nil {
			count := path.Child("succeededCount")
			errs = append(errs, workload.ValidateNonnegativeIfSet(c, count)...)
			if *c > completions {
				errs = append(errs, field.Invalid(count, *c, fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions)))
			}
			if rule.SucceededIndexes != nil && *c > total {
				errs = append(errs, field.Invalid(count, *c, fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", total)))
			}
		}
	}
	return errs
}

// countIndexes parses a list of indexes below completions as
// status.completedIndexes writes them ("1,3-5,7", in increasing order) and
// returns how many it names.
func countIndexes(list string, completions int32) (int32, error) {
	if list == "" {
		return 0, nil
	}
	var total int32
	last := int32(-1)
	for _, interval := range strings.Split(list, ",") {
		first, end, err := parseInterval(interval, completions)
		if err != nil {
			return 0, err
		}
		if last >= first {
			return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", last, first)
		}
		total += end - first + 1
		last = end
	}
	return total, nil
}

// parseInterval parses "x" or "x-y" (x < y), both below completions.
func parseInterval(interval string, completions int32) (int32, int32, error) {
	parts := strings.Split(interval, "-")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("the fragment %q violates the requirement that an index interval can have at most two parts separated by '-'", interval)
	}
	bounds := make([]int32, len(parts))
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil {
			return 0, 0, fmt.Errorf("cannot convert string to integer for index: %q", part)
		}
		if n >= int(completions) {
			return 0, 0, fmt.Errorf("too large index: %q", part)
		}
		bounds[i] = int32(n)
	}
	if len(bounds) == 1 {
		return bounds[0], bounds[0], nil
	}
	if bounds[0] >= bounds[1] {
		return 0, 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", bounds[0], bounds[1])
	}
	return bounds[0], bounds[1], nil
}
