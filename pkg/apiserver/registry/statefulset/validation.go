package statefulset

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// forbiddenUpdate is upstream's text for an update that changes a field of
// the spec other than those it names.
const forbiddenUpdate = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
	"'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// validate checks a StatefulSet's spec as ValidateStatefulSetSpec does;
// metadata is the resource package's.
func validate(s *appsv1.StatefulSet) field.ErrorList {
	spec := &s.Spec
	fld := field.NewPath("spec")
	errs := validatePodManagementPolicy(spec.PodManagementPolicy, fld.Child("podManagementPolicy"))
	errs = append(errs, validateUpdateStrategy(&spec.UpdateStrategy, fld.Child("updateStrategy"))...)
	errs = append(errs, validateRetentionPolicy(spec.PersistentVolumeClaimRetentionPolicy, fld.Child("persistentVolumeClaimRetentionPolicy"))...)
	if spec.Replicas != nil {
		errs = append(errs, workload.ValidateNonnegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.ValidateNonnegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	if spec.Ordinals != nil {
		errs = append(errs, workload.ValidateNonnegative(spec.Ordinals.Start, fld.Child("ordinals", "start"))...)
	}
	errs = append(errs, workload.ValidateRevisionHistoryLimit(spec.RevisionHistoryLimit, fld.Child("revisionHistoryLimit"))...)
	selector, selErrs := workload.ValidateSelector(spec.Selector, "statefulset", fld.Child("selector"))
	errs = append(errs, selErrs...)
	return append(errs, pod.ValidateServingTemplate(withClaimVolumes(spec), selector, "StatefulSet", fld.Child("template"))...)
}

// validateUpdate is validate plus upstream's update rule: besides the
// fields a rollout, a scale or a change of policy needs, the spec (its
// selector, serviceName, volumeClaimTemplates, podManagementPolicy) stays
// as it was created.
func validateUpdate(s, old *appsv1.StatefulSet) field.ErrorList {
	errs := validate(s)
	mutable := s.Spec.DeepCopy()
	mutable.Replicas = old.Spec.Replicas
	mutable.Ordinals = old.Spec.Ordinals
	mutable.Template = old.Spec.Template
	mutable.UpdateStrategy = old.Spec.UpdateStrategy
	mutable.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit
	mutable.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy
	mutable.MinReadySeconds = old.Spec.MinReadySeconds
	if !apiequality.Semantic.DeepEqual(*mutable, old.Spec) {
		errs = append(errs, field.Forbidden(field.NewPath("spec"), forbiddenUpdate))
	}
	return errs
}

func validatePodManagementPolicy(p appsv1.PodManagementPolicyType, fld *field.Path) field.ErrorList {
	switch p {
	case "":
		return field.ErrorList{field.Required(fld, "")}
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
		return nil
	}
	return field.ErrorList{field.Invalid(fld, p,
		fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement))}
}

// validateUpdateStrategy: OnDelete takes no rollingUpdate; a RollingUpdate's
// partition is not negative and its maxUnavailable, if set, is a count or
// percentage above zero and at most 100%.
func validateUpdateStrategy(s *appsv1.StatefulSetUpdateStrategy, fld *field.Path) field.ErrorList {
	switch s.Type {
	case "":
		return field.ErrorList{field.Required(fld, "")}
	case appsv1.OnDeleteStatefulSetStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Invalid(fld.Child("rollingUpdate"), s.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType))}
		}
		return nil
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if s.RollingUpdate == nil {
			return nil
		}
		return validateRollingUpdate(s.RollingUpdate, fld.Child("rollingUpdate"))
	}
	return field.ErrorList{field.Invalid(fld, s, fmt.Sprintf("must be '%s' or '%s'",
		appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType))}
}

func validateRollingUpdate(ru *appsv1.RollingUpdateStatefulSetStrategy, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ru.Partition != nil {
		errs = append(errs, workload.ValidateNonnegative(*ru.Partition, fld.Child("partition"))...)
	}
	if m := ru.MaxUnavailable; m != nil {
		errs = append(errs, workload.ValidateIntOrPercent(*m, fld.Child("maxUnavailable"))...)
		if workload.IntOrPercentValue(m) == 0 {
			errs = append(errs, field.Invalid(fld.Child("maxUnavailable"), *m, "cannot be 0"))
		}
		errs = append(errs, workload.ValidateAtMost100Percent(*m, fld.Child("maxUnavailable"))...)
	}
	return errs
}

// validateRetentionPolicy: each of whenDeleted and whenScaled is Retain or
// Delete (defaulting fills them in).
func validateRetentionPolicy(p *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy, fld *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	var errs field.ErrorList
	supported := []appsv1.PersistentVolumeClaimRetentionPolicyType{
		appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
	}
	for _, f := range []struct {
		name  string
		value appsv1.PersistentVolumeClaimRetentionPolicyType
	}{{"whenDeleted", p.WhenDeleted}, {"whenScaled", p.WhenScaled}} {
		if f.value != supported[0] && f.value != supported[1] {
			errs = append(errs, field.NotSupported(fld.Child(f.name), f.value, supported))
		}
	}
	return errs
}

// withClaimVolumes returns the pod template as the set's pods get it, for
// validation: each named claim template becomes a persistentVolumeClaim
// volume of that name, replacing a template volume of the same name as the
// controller does, so that containers may mount claims. spec is not
// changed.
func withClaimVolumes(spec *appsv1.StatefulSetSpec) *corev1.PodTemplateSpec {
	if len(spec.VolumeClaimTemplates) == 0 {
		return &spec.Template
	}
	t := spec.Template.DeepCopy()
	claims := make(map[string]bool, len(spec.VolumeClaimTemplates))
	var volumes []corev1.Volume
	for _, c := range spec.VolumeClaimTemplates {
		if c.Name == "" || claims[c.Name] {
			continue
		}
		claims[c.Name] = true
		volumes = append(volumes, corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name},
		}})
	}
	kept := t.Spec.Volumes[:0]
	for _, v := range t.Spec.Volumes {
		if !claims[v.Name] {
			kept = append(kept, v)
		}
	}
	t.Spec.Volumes = append(kept, volumes...)
	return t
}
