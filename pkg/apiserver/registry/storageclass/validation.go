package storageclass

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

const (
	// maxParameters is how many parameters a class may have, and
	// maxParametersSize how many bytes their keys and values may take
	// together, as kube-apiserver allows.
	maxParameters     = 512
	maxParametersSize = 256 * (1 << 10)
)

var (
	// reclaimPolicies and bindingModes are the supported values, sorted as
	// kube-apiserver lists them in its errors.
	reclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain}
	bindingModes    = []storagev1.VolumeBindingMode{storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer}
)

// validate checks a class as ValidateStorageClass does, except for
// metadata, which the resource package checks. Allowed topologies are
// checked for a key and values in each expression, not for duplicates.
func validate(c *storagev1.StorageClass) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("provisioner")
	if c.Provisioner == "" {
		errs = append(errs, field.Required(fld, ""))
	} else {
		lower := strings.ToLower(c.Provisioner)
		errs = append(errs, fieldcheck.Invalid(fld, lower, validation.IsQualifiedName(lower))...)
	}
	errs = append(errs, validateParameters(c.Parameters, field.NewPath("parameters"))...)
	if p := c.ReclaimPolicy; p != nil && *p != "" && !slices.Contains(reclaimPolicies, *p) {
		errs = append(errs, field.NotSupported(field.NewPath("reclaimPolicy"), *p, reclaimPolicies))
	}
	switch m := c.VolumeBindingMode; {
	case m == nil:
		errs = append(errs, field.Required(field.NewPath("volumeBindingMode"), ""))
	case !slices.Contains(bindingModes, *m):
		errs = append(errs, field.NotSupported(field.NewPath("volumeBindingMode"), *m, bindingModes))
	}
	return append(errs, validateAllowedTopologies(c.AllowedTopologies, field.NewPath("allowedTopologies"))...)
}

// validateParameters limits the number and size of the parameters and
// rejects an empty key.
func validateParameters(params map[string]string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(params) > maxParameters {
		errs = append(errs, field.TooMany(fld, len(params), maxParameters))
	}
	size := 0
	for k, v := range params {
		if k == "" {
			errs = append(errs, field.Invalid(fld, params, "field can not be empty."))
		}
		size += len(k) + len(v)
	}
	if size > maxParametersSize {
		errs = append(errs, field.TooLong(fld, "", maxParametersSize))
	}
	return errs
}

// validateAllowedTopologies checks that each term's expressions name a key
// and at least one value.
func validateAllowedTopologies(terms []corev1.TopologySelectorTerm, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, term := range terms {
		for j, expr := range term.MatchLabelExpressions {
			exprPath := fld.Index(i).Child("matchLabelExpressions").Index(j)
			errs = append(errs, metav1validation.ValidateLabelName(expr.Key, exprPath.Child("key"))...)
			if len(expr.Values) == 0 {
				errs = append(errs, field.Required(exprPath.Child("values"), ""))
			}
		}
	}
	return errs
}

// validateUpdate is validate with the parameters, provisioner, reclaim
// policy and volume binding mode immutable, as ValidateStorageClassUpdate.
func validateUpdate(c, old *storagev1.StorageClass) field.ErrorList {
	errs := validate(c)
	if !apiequality.Semantic.DeepEqual(c.Parameters, old.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if c.Provisioner != old.Provisioner {
		errs = append(errs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if policy(c) != policy(old) {
		errs = append(errs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	return append(errs, apivalidation.ValidateImmutableField(c.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
}

// policy is the class's reclaim policy, "" if unset (defaulting sets it).
func policy(c *storagev1.StorageClass) corev1.PersistentVolumeReclaimPolicy {
	if c.ReclaimPolicy == nil {
		return ""
	}
	return *c.ReclaimPolicy
}
