package deployment

import (
	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// validate checks a Deployment as ValidateDeployment does, except for
// metadata, which the resource package checks.
func validate(d *appsv1.Deployment) field.ErrorList {
	spec := &d.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.Replicas != nil {
		errs = append(errs, workload.ValidateNonnegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	selector, selErrs := workload.ValidateSelector(spec.Selector, "deployment", fld.Child("selector"))
	errs = append(errs, selErrs...)
	errs = append(errs, pod.ValidateServingTemplate(&spec.Template, selector, "ReplicaSet", fld.Child("template"))...)
	errs = append(errs, validateStrategy(&spec.Strategy, fld.Child("strategy"))...)
	errs = append(errs, workload.ValidateNonnegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	if spec.RevisionHistoryLimit != nil {
		errs = append(errs, workload.ValidateNonnegative(*spec.RevisionHistoryLimit, fld.Child("revisionHistoryLimit"))...)
	}
	if p := spec.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, workload.ValidateNonnegative(*p, fld.Child("progressDeadlineSeconds"))...)
		if *p <= spec.MinReadySeconds {
			errs = append(errs, field.Invalid(fld.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

// validateUpdate is validate with spec.selector immutable, as apps/v1's
// strategy has it.
func validateUpdate(d, old *appsv1.Deployment) field.ErrorList {
	errs := validate(d)
	return append(errs, apivalidation.ValidateImmutableField(d.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

// validateStrategy is ValidateDeploymentStrategy: Recreate takes no
// rollingUpdate; RollingUpdate needs one whose bounds are counts or
// percentages, not both zero, maxUnavailable at most 100%.
func validateStrategy(s *appsv1.DeploymentStrategy, fld *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(fld.Child("rollingUpdate"),
				"may not be specified when strategy `type` is '"+string(appsv1.RecreateDeploymentStrategyType)+"'")}
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(fld.Child("rollingUpdate"), "this should be defaulted and never be nil")}
		}
		return validateRollingUpdate(s.RollingUpdate, fld.Child("rollingUpdate"))
	default:
		return field.ErrorList{field.NotSupported(fld.Child("type"), s.Type, []appsv1.DeploymentStrategyType{
			appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType,
		})}
	}
	return nil
}

func validateRollingUpdate(ru *appsv1.RollingUpdateDeployment, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if ru.MaxUnavailable != nil {
		errs = append(errs, workload.ValidateIntOrPercent(*ru.MaxUnavailable, fld.Child("maxUnavailable"))...)
	}
	if ru.MaxSurge != nil {
		errs = append(errs, workload.ValidateIntOrPercent(*ru.MaxSurge, fld.Child("maxSurge"))...)
	}
	if workload.IsZero(ru.MaxUnavailable) && workload.IsZero(ru.MaxSurge) {
		errs = append(errs, field.Invalid(fld.Child("maxUnavailable"), ru.MaxUnavailable, "may not be 0 when `maxSurge` is 0"))
	}
	if ru.MaxUnavailable != nil {
		errs = append(errs, workload.ValidateAtMost100Percent(*ru.MaxUnavailable, fld.Child("maxUnavailable"))...)
	}
	return errs
}
