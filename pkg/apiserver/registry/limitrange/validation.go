package limitrange

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// validate checks a LimitRange as ValidateLimitRange does, except for
// metadata, which the resource package checks: each item's type is known
// or qualified and appears once, its resource names suit its type, a Pod
// item has no defaults, a claim item bounds storage, and per resource
// min ≤ defaultRequest ≤ default ≤ max and 1 ≤ maxLimitRequestRatio ≤
// max/min. Resources are checked in name order (upstream's order is a
// map's).
func validate(lr *corev1.LimitRange) field.ErrorList {
	var errs field.ErrorList
	seen := map[corev1.LimitType]bool{}
	fld := field.NewPath("spec", "limits")
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		idx := fld.Index(i)
		errs = append(errs, validateType(string(item.Type), idx.Child("type"))...)
		if seen[item.Type] {
			errs = append(errs, field.Duplicate(idx.Child("type"), item.Type))
		}
		seen[item.Type] = true

		names := map[corev1.ResourceName]bool{}
		check := func(list corev1.ResourceList, child string) {
			for _, name := range sortedNames(list) {
				errs = append(errs, validateResourceName(item.Type, name, idx.Child(child).Key(string(name)))...)
				names[name] = true
			}
		}
		check(item.Max, "max")
		check(item.Min, "min")
		if item.Type == corev1.LimitTypePod {
			if len(item.Default) > 0 {
				errs = append(errs, field.Forbidden(idx.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(item.DefaultRequest) > 0 {
				errs = append(errs, field.Forbidden(idx.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		} else {
			check(item.Default, "default")
			check(item.DefaultRequest, "defaultRequest")
		}
		if item.Type == corev1.LimitTypePersistentVolumeClaim {
			_, hasMin := item.Min[corev1.ResourceStorage]
			_, hasMax := item.Max[corev1.ResourceStorage]
			if !hasMin && !hasMax {
				errs = append(errs, field.Required(idx.Child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
			}
		}
		check(item.MaxLimitRequestRatio, "maxLimitRequestRatio")

		var defaults, defaultRequests corev1.ResourceList
		if item.Type != corev1.LimitTypePod {
			defaults, defaultRequests = item.Default, item.DefaultRequest
		}
		for _, name := range slices.Sorted(maps.Keys(names)) {
			errs = append(errs, validateBounds(idx, name, item, defaults, defaultRequests)...)
		}
	}
	return errs
}

// validateBounds checks the order of one resource's bounds in item.
func validateBounds(idx *field.Path, name corev1.ResourceName, item *corev1.LimitRangeItem, defaults, defaultRequests corev1.ResourceList) field.ErrorList {
	var errs field.ErrorList
	key := string(name)
	minQ, hasMin := item.Min[name]
	maxQ, hasMax := item.Max[name]
	def, hasDef := defaults[name]
	defReq, hasDefReq := defaultRequests[name]
	ratio, hasRatio := item.MaxLimitRequestRatio[name]

	if hasMin && hasMax && minQ.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(idx.Child("min").Key(key), minQ, fmt.Sprintf("min value %s is greater than max value %s", minQ.String(), maxQ.String())))
	}
	if hasDefReq && hasMin && minQ.Cmp(defReq) > 0 {
		errs = append(errs, field.Invalid(idx.Child("defaultRequest").Key(key), defReq, fmt.Sprintf("min value %s is greater than default request value %s", minQ.String(), defReq.String())))
	}
	if hasDefReq && hasMax && defReq.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(idx.Child("defaultRequest").Key(key), defReq, fmt.Sprintf("default request value %s is greater than max value %s", defReq.String(), maxQ.String())))
	}
	if hasDefReq && hasDef && defReq.Cmp(def) > 0 {
		errs = append(errs, field.Invalid(idx.Child("defaultRequest").Key(key), defReq, fmt.Sprintf("default request value %s is greater than default limit value %s", defReq.String(), def.String())))
	}
	if hasDef && hasMin && minQ.Cmp(def) > 0 {
		errs = append(errs, field.Invalid(idx.Child("default").Key(key), minQ, fmt.Sprintf("min value %s is greater than default value %s", minQ.String(), def.String())))
	}
	if hasDef && hasMax && def.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(idx.Child("default").Key(key), maxQ, fmt.Sprintf("default value %s is greater than max value %s", def.String(), maxQ.String())))
	}
	if hasRatio && ratio.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
		errs = append(errs, field.Invalid(idx.Child("maxLimitRequestRatio").Key(key), ratio, fmt.Sprintf("ratio %s is less than 1", ratio.String())))
	}
	if hasRatio && hasMin && hasMax {
		ratioValue := float64(ratio.Value())
		minValue, maxValue := minQ.Value(), maxQ.Value()
		if ratio.Value() < resource.MaxMilliValue && minValue < resource.MaxMilliValue && maxValue < resource.MaxMilliValue {
			ratioValue = float64(ratio.MilliValue()) / 1000
			minValue, maxValue = minQ.MilliValue(), maxQ.MilliValue()
		}
		if limit := float64(maxValue) / float64(minValue); ratioValue > limit {
			errs = append(errs, field.Invalid(idx.Child("maxLimitRequestRatio").Key(key), ratio, fmt.Sprintf("ratio %s is greater than max/min = %f", ratio.String(), limit)))
		}
	}
	if !isOvercommitAllowed(name) && hasDef && hasDefReq && def.Cmp(defReq) != 0 {
		errs = append(errs, field.Invalid(idx.Child("defaultRequest").Key(key), defReq, fmt.Sprintf("default value %s must equal to defaultRequest value %s in %s", def.String(), defReq.String(), key)))
	}
	return errs
}

// validateType accepts the standard limit types and qualified names.
func validateType(value string, fld *field.Path) field.ErrorList {
	if errs := fieldcheck.Invalid(fld, value, validation.IsQualifiedName(value)); len(errs) > 0 {
		return errs
	}
	switch corev1.LimitType(value) {
	case corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim:
		return nil
	}
	if !strings.Contains(value, "/") {
		return field.ErrorList{field.Invalid(fld, value, "must be a standard limit type or fully qualified")}
	}
	return nil
}

func sortedNames(list corev1.ResourceList) []corev1.ResourceName {
	return slices.Sorted(maps.Keys(list))
}
