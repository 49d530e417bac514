package workload

import (
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNonnegativeIfSet is ValidateNonnegativeField for the optional
// counts and durations of workload specs (a Job's completions or
// backoffLimit, a CronJob's startingDeadlineSeconds): nil is left to
// defaulting or means "no limit", zero is valid, a negative value is not.
func ValidateNonnegativeIfSet[T int32 | int64](value *T, fld *field.Path) field.ErrorList {
	if value == nil {
		return nil
	}
	return apivalidation.ValidateNonnegativeField(int64(*value), fld)
}
