package workload

import (
	"strconv"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateSelector checks a workload's required spec.selector at fld: a
// valid label selector that selects something ("empty selector is invalid
// for <kind>", kind in lower case as upstream writes it). It returns the
// selector to check the template's labels against; a missing or invalid
// one selects nothing, so that the template check also fails.
func ValidateSelector(sel *metav1.LabelSelector, kind string, fld *field.Path) (labels.Selector, field.ErrorList) {
	var errs field.ErrorList
	if sel == nil {
		errs = append(errs, field.Required(fld, ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fld)...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(fld, sel, "empty selector is invalid for "+kind))
		}
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return labels.Nothing(), append(errs, field.Invalid(fld, sel, "invalid label selector"))
	}
	return selector, errs
}

// ValidateNonnegative is ValidateNonnegativeField for the int32 fields of
// workload specs.
func ValidateNonnegative(value int32, fld *field.Path) field.ErrorList {
	return apivalidation.ValidateNonnegativeField(int64(value), fld)
}

// ValidateIntOrPercent is ValidatePositiveIntOrPercent: a count that is
// not negative, or a percentage written as "25%".
func ValidateIntOrPercent(v intstr.IntOrString, fld *field.Path) field.ErrorList {
	switch v.Type {
	case intstr.String:
		var errs field.ErrorList
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(fld, v, msg))
		}
		return errs
	case intstr.Int:
		return apivalidation.ValidateNonnegativeField(int64(v.IntValue()), fld)
	}
	return nil
}

// ValidateAtMost100Percent is IsNotMoreThan100Percent: a percentage may
// not be over 100%; counts are not limited here.
func ValidateAtMost100Percent(v intstr.IntOrString, fld *field.Path) field.ErrorList {
	if percent, ok := Percent(v); ok && percent > 100 {
		return field.ErrorList{field.Invalid(fld, v, "must not be greater than 100%")}
	}
	return nil
}

// Percent returns the number of a valid percentage ("25%" is 25) and
// whether v is one.
func Percent(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) != 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	return n, err == nil
}

// IsZero reports whether v is 0 or 0%, as rolling-update checks that
// maxSurge and maxUnavailable are not both zero compare them.
func IsZero(v *intstr.IntOrString) bool {
	if v == nil {
		return true
	}
	if n, ok := Percent(*v); ok {
		return n == 0
	}
	return v.Type == intstr.Int && v.IntValue() == 0
}
