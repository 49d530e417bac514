package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// validate checks a DaemonSet's spec as ValidateDaemonSetSpec does;
// metadata is the resource package's.
func validate(ds *appsv1.DaemonSet) field.ErrorList {
	spec := &ds.Spec
	fld := field.NewPath("spec")
	selector, errs := workload.ValidateSelector(spec.Selector, "daemonset", fld.Child("selector"))
	errs = append(errs, pod.ValidateServingTemplate(&spec.Template, selector, "DaemonSet", fld.Child("template"))...)
	errs = append(errs, workload.ValidateNonnegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	errs = append(errs, validateUpdateStrategy(&spec.UpdateStrategy, fld.Child("updateStrategy"))...)
	return append(errs, workload.ValidateRevisionHistoryLimit(spec.RevisionHistoryLimit, fld.Child("revisionHistoryLimit"))...)
}

// validateUpdate is validate with spec.selector immutable, as apps/v1's
// strategy has it.
func validateUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	errs := validate(ds)
	return append(errs, apivalidation.ValidateImmutableField(ds.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

// validateUpdateStrategy is ValidateDaemonSetUpdateStrategy: OnDelete, or
// a RollingUpdate with its bounds.
func validateUpdateStrategy(s *appsv1.DaemonSetUpdateStrategy, fld *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
		return nil
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(fld.Child("rollingUpdate"), "")}
		}
		return validateRollingUpdate(s.RollingUpdate, fld.Child("rollingUpdate"))
	}
	return field.ErrorList{field.NotSupported(fld, s, []appsv1.DaemonSetUpdateStrategyType{
		appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType,
	})}
}

// validateRollingUpdate is ValidateRollingUpdateDaemonSet: counts or
// percentages of at most 100%, and exactly one of them above zero, since a
// node runs either an extra pod during the update or none for a while.
func validateRollingUpdate(ru *appsv1.RollingUpdateDaemonSet, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	unavailable, surge := fld.Child("maxUnavailable"), fld.Child("maxSurge")
	if ru.MaxUnavailable != nil {
		errs = append(errs, workload.ValidateIntOrPercent(*ru.MaxUnavailable, unavailable)...)
	}
	if ru.MaxSurge != nil {
		errs = append(errs, workload.ValidateIntOrPercent(*ru.MaxSurge, surge)...)
	}
	if ru.MaxUnavailable != nil {
		errs = append(errs, workload.ValidateAtMost100Percent(*ru.MaxUnavailable, unavailable)...)
	}
	if ru.MaxSurge != nil {
		errs = append(errs, workload.ValidateAtMost100Percent(*ru.MaxSurge, surge)...)
	}
	switch hasUnavailable, hasSurge := workload.IntOrPercentValue(ru.MaxUnavailable) != 0, workload.IntOrPercentValue(ru.MaxSurge) != 0; {
	case hasUnavailable && hasSurge:
		errs = append(errs, field.Invalid(surge, ru.MaxSurge, "may not be set when maxUnavailable is non-zero"))
	case !hasUnavailable && !hasSurge:
		errs = append(errs, field.Required(unavailable, "cannot be 0 when maxSurge is 0"))
	}
	return errs
}
