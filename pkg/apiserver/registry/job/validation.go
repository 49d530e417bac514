package job

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// Upstream's limits on a job spec.
const (
	// maxIndexedParallelism caps an Indexed Job's parallelism, which bounds
	// the length of status.completedIndexes.
	maxIndexedParallelism = 100_000
	// maxFailedIndexes caps maxFailedIndexes, which bounds the length of
	// status.failedIndexes.
	maxFailedIndexes = 100_000
	// Above completionsSoftLimit completions with backoffLimitPerIndex,
	// maxFailedIndexes is required and it and parallelism are capped lower.
	completionsSoftLimit = 100_000
	highCompletionsLimit = 10_000
	maxManagedByLength   = 63
)

// validationOptions are the relaxations of upstream's JobValidationOptions
// that depend on the stored Job.
type validationOptions struct {
	// prefixedLabels requires the batch.kubernetes.io/ job-name and
	// controller-uid template labels besides the legacy ones: always for a
	// new Job, for an update only if the stored Job has them, so Jobs
	// created before they existed stay updatable.
	prefixedLabels bool
	// selector lets label selector values stay invalid that the stored Job
	// already has.
	selector metav1validation.LabelSelectorValidationOptions
}

// validate checks a new Job as ValidateJob does; metadata is the resource
// package's.
func validate(j *batchv1.Job) field.ErrorList {
	return validateJob(j, validationOptions{prefixedLabels: true})
}

func validateJob(j *batchv1.Job, opts validationOptions) field.ErrorList {
	errs := validateGeneratedSelector(j, opts.prefixedLabels)
	errs = append(errs, validateSpecWithSelector(&j.Spec, opts, field.NewPath("spec"))...)
	// An Indexed Job's pods are named, and their hostnames set, to the
	// Job's name and an index, which must make a DNS label.
	if ptr.Deref(j.Spec.CompletionMode, "") == batchv1.IndexedCompletion && ptr.Deref(j.Spec.Completions, 0) > 0 {
		hostname := fmt.Sprintf("%s-%d", j.Name, *j.Spec.Completions-1)
		if len(validation.IsDNS1123Label(hostname)) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), j.Name,
				"will not able to create pod with invalid DNS label: "+hostname))
		}
	}
	return errs
}

// validateGeneratedSelector checks, unless the Job has a manual selector,
// that generateSelector's labels are on the template with the Job's name
// and uid and that the selector matches them: a client that sets
// conflicting ones gets an error rather than pods another Job could adopt.
func validateGeneratedSelector(j *batchv1.Job, prefixedLabels bool) field.ErrorList {
	if ptr.Deref(j.Spec.ManualSelector, false) || j.Spec.Selector == nil {
		return nil
	}
	var errs field.ErrorList
	if j.UID == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "uid"), ""))
	}
	want := map[string]string{legacyControllerUIDLabel: string(j.UID), legacyJobNameLabel: j.Name}
	keys := []string{legacyControllerUIDLabel, legacyJobNameLabel}
	if prefixedLabels {
		want[batchv1.ControllerUidLabel], want[batchv1.JobNameLabel] = string(j.UID), j.Name
		keys = append(keys, batchv1.ControllerUidLabel, batchv1.JobNameLabel)
	}
	fld := field.NewPath("spec", "template", "metadata", "labels")
	for _, key := range keys {
		errs = append(errs, validateHasLabel(j.Spec.Template.Labels, fld, key, want[key])...)
	}
	if selector, err := metav1.LabelSelectorAsSelector(j.Spec.Selector); err == nil && !selector.Matches(labels.Set(want)) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), j.Spec.Selector, "`selector` not auto-generated"))
	}
	return errs
}

// validateHasLabel is ValidateHasLabel: the label key of set (at
// fld.Key(key)) must be there, with value want.
func validateHasLabel(set map[string]string, fld *field.Path, key, want string) field.ErrorList {
	got, ok := set[key]
	switch {
	case !ok:
		return field.ErrorList{field.Required(fld.Key(key), fmt.Sprintf("must be '%s'", want))}
	case got != want:
		return field.ErrorList{field.Invalid(fld.Key(key), set, fmt.Sprintf("must be '%s'", want))}
	}
	return nil
}

// validateSpecWithSelector is ValidateJobSpec: validateSpec, and a valid
// selector that the template's labels match.
func validateSpecWithSelector(spec *batchv1.JobSpec, opts validationOptions, fld *field.Path) field.ErrorList {
	errs := validateSpec(spec, fld)
	if spec.Selector == nil {
		errs = append(errs, field.Required(fld.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, opts.selector, fld.Child("selector"))...)
	}
	// A nil selector selects nothing, so it fails here too, as upstream.
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !selector.Matches(labels.Set(spec.Template.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("template", "metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

// ValidateTemplate checks a CronJob's jobTemplate (at fld) as
// ValidateJobTemplateSpec does: its spec as a Job's, except that it may
// have no selector, which each Job made from it is given on create.
func ValidateTemplate(t *batchv1.JobTemplateSpec, fld *field.Path) field.ErrorList {
	errs := validateSpec(&t.Spec, fld.Child("spec"))
	if t.Spec.Selector != nil {
		errs = append(errs, field.Invalid(fld.Child("spec", "selector"), t.Spec.Selector, "`selector` will be auto-generated"))
	}
	if ptr.Deref(t.Spec.ManualSelector, false) {
		errs = append(errs, field.NotSupported(fld.Child("spec", "manualSelector"), t.Spec.ManualSelector, []string{"nil", "false"}))
	}
	return errs
}

// validateSpec is upstream's validateJobSpec: what a job spec must be
// wherever it is, in a Job or a jobTemplate, selector aside.
func validateSpec(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	errs := workload.ValidateNonnegativeIfSet(spec.Parallelism, fld.Child("parallelism"))
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.Completions, fld.Child("completions"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.ActiveDeadlineSeconds, fld.Child("activeDeadlineSeconds"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.BackoffLimit, fld.Child("backoffLimit"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.TTLSecondsAfterFinished, fld.Child("ttlSecondsAfterFinished"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.BackoffLimitPerIndex, fld.Child("backoffLimitPerIndex"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.MaxFailedIndexes, fld.Child("maxFailedIndexes"))...)
	if spec.MaxFailedIndexes != nil && spec.BackoffLimitPerIndex == nil {
		errs = append(errs, field.Required(fld.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
	}
	if spec.ManagedBy != nil {
		errs = append(errs, validation.IsDomainPrefixedPath(fld.Child("managedBy"), *spec.ManagedBy)...)
		if len(*spec.ManagedBy) > maxManagedByLength {
			errs = append(errs, field.TooLong(fld.Child("managedBy"), "", maxManagedByLength))
		}
	}
	errs = append(errs, validateCompletionMode(spec, fld)...)
	if spec.PodFailurePolicy != nil {
		errs = append(errs, validatePodFailurePolicy(spec, fld.Child("podFailurePolicy"))...)
	}
	if spec.SuccessPolicy != nil {
		if ptr.Deref(spec.CompletionMode, batchv1.NonIndexedCompletion) != batchv1.IndexedCompletion {
			errs = append(errs, field.Invalid(fld.Child("successPolicy"), *spec.SuccessPolicy, "requires indexed completion mode"))
		} else {
			errs = append(errs, validateSuccessPolicy(spec, fld.Child("successPolicy"))...)
		}
	}
	errs = append(errs, validatePodReplacementPolicy(spec, fld.Child("podReplacementPolicy"))...)
	errs = append(errs, pod.ValidateTemplate(&spec.Template, fld.Child("template"))...)
	return append(errs, validateRestartPolicy(spec, fld.Child("template", "spec", "restartPolicy"))...)
}

// validateCompletionMode checks the completion mode and what an Indexed
// Job needs (completions, bounded parallelism and failed indexes) or a
// NonIndexed one may not have (limits per index).
func validateCompletionMode(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	mode := ptr.Deref(spec.CompletionMode, batchv1.NonIndexedCompletion)
	switch mode {
	case batchv1.NonIndexedCompletion:
		if spec.BackoffLimitPerIndex != nil {
			errs = append(errs, field.Invalid(fld.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex, "requires indexed completion mode"))
		}
		if spec.MaxFailedIndexes != nil {
			errs = append(errs, field.Invalid(fld.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "requires indexed completion mode"))
		}
		return errs
	case batchv1.IndexedCompletion:
	default:
		return field.ErrorList{field.NotSupported(fld.Child("completionMode"), spec.CompletionMode,
			[]batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion})}
	}
	if spec.Completions == nil {
		errs = append(errs, field.Required(fld.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
	}
	if p := spec.Parallelism; p != nil && *p > maxIndexedParallelism {
		errs = append(errs, field.Invalid(fld.Child("parallelism"), *p,
			fmt.Sprintf("must be less than or equal to %d when completion mode is %s", maxIndexedParallelism, batchv1.IndexedCompletion)))
	}
	if m := spec.MaxFailedIndexes; m != nil {
		if spec.Completions != nil && *m > *spec.Completions {
			errs = append(errs, field.Invalid(fld.Child("maxFailedIndexes"), *m, "must be less than or equal to completions"))
		}
		if *m > maxFailedIndexes {
			errs = append(errs, field.Invalid(fld.Child("maxFailedIndexes"), *m, fmt.Sprintf("must be less than or equal to %d", maxFailedIndexes)))
		}
	}
	if ptr.Deref(spec.Completions, 0) > completionsSoftLimit && spec.BackoffLimitPerIndex != nil {
		high := fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index",
			highCompletionsLimit, completionsSoftLimit)
		if spec.MaxFailedIndexes == nil {
			errs = append(errs, field.Required(fld.Child("maxFailedIndexes"), fmt.Sprintf("must be specified when completions is above %d", completionsSoftLimit)))
		} else if *spec.MaxFailedIndexes > highCompletionsLimit {
			errs = append(errs, field.Invalid(fld.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, high))
		}
		if p := spec.Parallelism; p != nil && *p > highCompletionsLimit {
			errs = append(errs, field.Invalid(fld.Child("parallelism"), *p, high))
		}
	}
	return errs
}

// validateRestartPolicy: a Job's pods run to completion, so they restart
// OnFailure or Never, and only Never under a pod failure policy, which
// must see every failed pod. Always is what pod defaulting fills in when
// the client set none, hence Required.
func validateRestartPolicy(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	switch p := spec.Template.Spec.RestartPolicy; p {
	case corev1.RestartPolicyAlways, "":
		return field.ErrorList{field.Required(fld, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever))}
	case corev1.RestartPolicyOnFailure:
		if spec.PodFailurePolicy != nil {
			return field.ErrorList{field.Invalid(fld, p, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever))}
		}
	case corev1.RestartPolicyNever:
	default:
		return field.ErrorList{field.NotSupported(fld, p, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever})}
	}
	return nil
}

// validatePodReplacementPolicy: Failed or TerminatingOrFailed, only Failed
// under a pod failure policy.
func validatePodReplacementPolicy(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	p := spec.PodReplacementPolicy
	switch {
	case p == nil:
	case spec.PodFailurePolicy != nil && *p != batchv1.Failed:
		return field.ErrorList{field.NotSupported(fld, *p, []batchv1.PodReplacementPolicy{batchv1.Failed})}
	case *p != batchv1.Failed && *p != batchv1.TerminatingOrFailed:
		return field.ErrorList{field.NotSupported(fld, *p, []batchv1.PodReplacementPolicy{batchv1.Failed, batchv1.TerminatingOrFailed})}
	}
	return nil
}

// validateUpdate is ValidateJob and ValidateJobUpdate with the options
// upstream's strategy derives from the stored Job: what identifies the
// Job's pods and how they complete and fail stays as created; completions
// follow parallelism only for Indexed Jobs; the template changes only as
// validateTemplateUpdate allows.
func validateUpdate(j, old *batchv1.Job) field.ErrorList {
	_, hadName := old.Spec.Template.Labels[batchv1.JobNameLabel]
	_, hadUID := old.Spec.Template.Labels[batchv1.ControllerUidLabel]
	opts := validationOptions{
		prefixedLabels: hadName && hadUID,
		selector: metav1validation.LabelSelectorValidationOptions{
			AllowInvalidLabelValueInSelector: metav1validation.LabelSelectorHasInvalidLabelValue(old.Spec.Selector),
		},
	}
	errs := validateJob(j, opts)
	spec, oldSpec, fld := &j.Spec, &old.Spec, field.NewPath("spec")
	errs = append(errs, validateCompletionsUpdate(spec, oldSpec, fld)...)
	errs = append(errs, apivalidation.ValidateImmutableField(spec.Selector, oldSpec.Selector, fld.Child("selector"))...)
	errs = append(errs, validateTemplateUpdate(j, old, fld)...)
	errs = append(errs, apivalidation.ValidateImmutableField(spec.CompletionMode, oldSpec.CompletionMode, fld.Child("completionMode"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(spec.PodFailurePolicy, oldSpec.PodFailurePolicy, fld.Child("podFailurePolicy"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex, fld.Child("backoffLimitPerIndex"))...)
	errs = append(errs, apivalidation.ValidateImmutableField(spec.ManagedBy, oldSpec.ManagedBy, fld.Child("managedBy"))...)
	return append(errs, apivalidation.ValidateImmutableField(spec.SuccessPolicy, oldSpec.SuccessPolicy, fld.Child("successPolicy"))...)
}

// validateCompletionsUpdate: completions are immutable, except that an
// Indexed Job may be scaled (elastic Indexed Jobs) by changing completions
// and parallelism to the same value.
func validateCompletionsUpdate(spec, old *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	path := fld.Child("completions")
	if ptr.Deref(spec.CompletionMode, "") != batchv1.IndexedCompletion {
		return apivalidation.ValidateImmutableField(spec.Completions, old.Completions, path)
	}
	// A nil one is validateCompletionMode's error.
	if spec.Completions == nil || ptr.Equal(spec.Completions, old.Completions) {
		return nil
	}
	if *spec.Completions != ptr.Deref(spec.Parallelism, 0) {
		return field.ErrorList{field.Invalid(path, spec.Completions, "can only be modified in tandem with "+fld.Child("parallelism").String())}
	}
	return nil
}

// validateTemplateUpdate: a Job's pod template is immutable while the Job
// may have pods. A suspended Job that never started, or whose pods are gone
// since it was suspended (JobSuspended is True and none is active), may
// have its scheduling directives (template labels and annotations, node
// selector and affinity, tolerations, scheduling gates) and its
// containers' resources changed, so that a queue controller can place and
// size it before resuming it.
func validateTemplateUpdate(j, old *batchv1.Job, fld *field.Path) field.ErrorList {
	suspended := ptr.Deref(old.Spec.Suspend, false)
	notStarted := old.Status.StartTime == nil
	stopped := conditionTrue(old.Status.Conditions, batchv1.JobSuspended) && old.Status.Active == 0
	if !suspended || !(notStarted || stopped) {
		return apivalidation.ValidateImmutableField(j.Spec.Template, old.Spec.Template, fld.Child("template"))
	}
	// The error names spec.template either way, as upstream's does.
	allowed := withMutableFields(&old.Spec.Template, &j.Spec.Template)
	return apivalidation.ValidateImmutableField(j.Spec.Template, *allowed, fld.Child("template"))
}

// withMutableFields returns a copy of old with what a suspended Job may
// change taken from t, so that any other difference remains.
func withMutableFields(old, t *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	out := old.DeepCopy()
	out.Labels, out.Annotations = t.Labels, t.Annotations
	out.Spec.NodeSelector, out.Spec.Tolerations, out.Spec.SchedulingGates = t.Spec.NodeSelector, t.Spec.Tolerations, t.Spec.SchedulingGates
	switch {
	case t.Spec.Affinity == nil && out.Spec.Affinity != nil:
		// Removing the affinity is allowed if it held only node affinity.
		out.Spec.Affinity.NodeAffinity = nil
		if *out.Spec.Affinity == (corev1.Affinity{}) {
			out.Spec.Affinity = nil
		}
	case t.Spec.Affinity != nil && out.Spec.Affinity == nil:
		out.Spec.Affinity = &corev1.Affinity{NodeAffinity: t.Spec.Affinity.NodeAffinity}
	case t.Spec.Affinity != nil:
		out.Spec.Affinity.NodeAffinity = t.Spec.Affinity.NodeAffinity
	}
	takeResources(out.Spec.Containers, t.Spec.Containers)
	takeResources(out.Spec.InitContainers, t.Spec.InitContainers)
	return out
}

// takeResources copies the resources of from's containers onto to's where
// both lists have the same container at the same place; adding, removing or
// reordering containers stays a difference.
func takeResources(to, from []corev1.Container) {
	if len(to) != len(from) {
		return
	}
	for i := range to {
		if to[i].Name == from[i].Name {
			to[i].Resources = from[i].Resources
		}
	}
}

// conditionTrue reports whether the first condition of type t in
// conditions is True. The printer's STATUS cell and the check of a
// suspended Job's template both ask it; upstream has a helper for each,
// which differ only when a type appears twice, as the job controller never
// writes it. This is the printer's rule, so that kubectl get shows what it
// shows on a real cluster.
func conditionTrue(conditions []batchv1.JobCondition, t batchv1.JobConditionType) bool {
	for _, c := range conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
