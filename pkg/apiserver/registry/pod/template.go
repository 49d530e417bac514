package pod

import (
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateTemplate checks the pod template of a workload (a Deployment's
// spec.template, at fld) as ValidatePodTemplateSpec does: its labels and
// annotations, its pod spec as a Pod's, and no ephemeral containers, which
// only a running pod can be given. The Pod-only checks of Validate do not
// apply to templates.
func ValidateTemplate(t *corev1.PodTemplateSpec, fld *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, fld.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, fld.Child("annotations"))...)
	errs = append(errs, validatePodSpec(&t.Spec, "", fld.Child("spec"))...)
	if len(t.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(fld.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return errs
}

// ValidateServingTemplate checks the template of a workload whose pods
// keep running (ReplicaSets and Deployments, StatefulSets, DaemonSets),
// the kind named in upstream's texts: ValidateTemplate, labels the
// workload's selector matches, restartPolicy Always and no
// activeDeadlineSeconds.
func ValidateServingTemplate(t *corev1.PodTemplateSpec, selector labels.Selector, kind string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !selector.Empty() && !selector.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, ValidateTemplate(t, fld)...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(fld.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Invalid(fld.Child("spec", "activeDeadlineSeconds"), t.Spec.ActiveDeadlineSeconds, "activeDeadlineSeconds in "+kind+" is not Supported"))
	}
	return errs
}
