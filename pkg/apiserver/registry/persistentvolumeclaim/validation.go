package persistentvolumeclaim

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pvmodes"
)

// validate checks a claim as ValidatePersistentVolumeClaim does, except for
// metadata, which the resource package checks.
func validate(c *corev1.PersistentVolumeClaim) field.ErrorList {
	return validateSpec(&c.Spec, field.NewPath("spec"))
}

// validateSpec is ValidatePersistentVolumeClaimSpec with upstream's
// features of v1.37 on (VolumeAttributesClass).
func validateSpec(spec *corev1.PersistentVolumeClaimSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.AccessModes) == 0 {
		errs = append(errs, field.Required(fld.Child("accessModes"), "at least 1 access mode is required"))
	}
	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, fld.Child("selector"))...)
	}
	errs = append(errs, pvmodes.ValidateAccessModes(spec.AccessModes, fld.Child("accessModes"))...)

	storagePath := fld.Child("resources").Key(string(corev1.ResourceStorage))
	if size, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		errs = append(errs, field.Required(storagePath, ""))
	} else if size.Cmp(resource.Quantity{}) <= 0 {
		errs = append(errs, field.Invalid(storagePath, size.String(), "must be greater than zero"))
	}

	if spec.StorageClassName != nil && *spec.StorageClassName != "" {
		errs = append(errs, fieldcheck.Invalid(fld.Child("storageClassName"), *spec.StorageClassName, apivalidation.NameIsDNSSubdomain(*spec.StorageClassName, false))...)
	}
	errs = append(errs, pvmodes.ValidateVolumeMode(spec.VolumeMode, fld.Child("volumeMode"))...)
	if ds := spec.DataSource; ds != nil {
		errs = append(errs, validateDataSource(ds.APIGroup, ds.Kind, ds.Name, fld.Child("dataSource"))...)
	}
	if ref := spec.DataSourceRef; ref != nil {
		errs = append(errs, validateDataSource(ref.APIGroup, ref.Kind, ref.Name, fld.Child("dataSourceRef"))...)
		if ns := ref.Namespace; ns != nil && *ns != "" {
			errs = append(errs, fieldcheck.Invalid(fld.Child("dataSourceRef", "namespace"), *ns, apivalidation.ValidateNamespaceName(*ns, false))...)
		}
	}
	if ref := spec.DataSourceRef; ref != nil && ref.Namespace != nil && *ref.Namespace != "" {
		if spec.DataSource != nil {
			errs = append(errs, field.Invalid(fld, fld.Child("dataSource"), "may not be specified when dataSourceRef.namespace is specified"))
		}
	} else if ds := spec.DataSource; ds != nil && ref != nil {
		if !apiequality.Semantic.DeepEqual(ds.APIGroup, ref.APIGroup) || ds.Kind != ref.Kind || ds.Name != ref.Name {
			errs = append(errs, field.Invalid(fld, fld.Child("dataSource"), "must match dataSourceRef"))
		}
	}
	if name := spec.VolumeAttributesClassName; name != nil && *name != "" {
		errs = append(errs, fieldcheck.Invalid(fld.Child("volumeAttributesClassName"), *name, apivalidation.NameIsDNSSubdomain(*name, false))...)
	}
	return errs
}

// validateDataSource checks a dataSource or dataSourceRef: a name, a kind
// that is PersistentVolumeClaim in the core group, and an API group that is
// a DNS subdomain.
func validateDataSource(apiGroup *string, kind, name string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(fld.Child("name"), ""))
	}
	if kind == "" {
		errs = append(errs, field.Required(fld.Child("kind"), ""))
	}
	group := ""
	if apiGroup != nil {
		group = *apiGroup
	}
	if group == "" && kind != "PersistentVolumeClaim" {
		errs = append(errs, field.Invalid(fld, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
	}
	if group != "" {
		errs = append(errs, fieldcheck.Invalid(fld.Child("apiGroup"), group, validation.IsDNS1123Subdomain(group))...)
	}
	return errs
}

// validateUpdate is ValidatePersistentVolumeClaimUpdate: the spec is
// immutable except that volumeName may be set once, a bound claim's
// storage request may change but not drop to its status capacity or below
// (recovery from a failed expansion, on since v1.34), and
// volumeAttributesClassName may change but not be unset.
func validateUpdate(c, old *corev1.PersistentVolumeClaim) field.ErrorList {
	errs := validate(c)
	newSpec, oldSpec := c.Spec.DeepCopy(), old.Spec.DeepCopy()
	if old.Spec.VolumeName == "" {
		oldSpec.VolumeName = newSpec.VolumeName
	}
	if betaClassUpgrade(old, c) {
		// The beta annotation's class moves into the field.
		newSpec.StorageClassName = nil
	} else {
		if beta := c.Annotations[corev1.BetaStorageClassAnnotation]; beta != old.Annotations[corev1.BetaStorageClassAnnotation] {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "annotations", corev1.BetaStorageClassAnnotation), beta, "field is immutable"))
		}
		if newSpec.StorageClassName != nil && oldSpec.StorageClassName == nil {
			if beta, ok := old.Annotations[corev1.BetaStorageClassAnnotation]; !ok || beta == *newSpec.StorageClassName {
				newSpec.StorageClassName = nil
			}
		}
	}
	if c.Status.Phase == corev1.ClaimBound && newSpec.Resources.Requests != nil {
		newSpec.Resources.Requests[corev1.ResourceStorage] = old.Spec.Resources.Requests[corev1.ResourceStorage]
	}
	newSpec.VolumeAttributesClassName = oldSpec.VolumeAttributesClassName
	if !apiequality.Semantic.DeepEqual(newSpec, oldSpec) {
		errs = append(errs, field.Forbidden(field.NewPath("spec"), fmt.Sprintf(
			"spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n%v", cmp.Diff(oldSpec, newSpec))))
	}

	newSize, oldSize := c.Spec.Resources.Requests[corev1.ResourceStorage], old.Spec.Resources.Requests[corev1.ResourceStorage]
	if capacity := old.Status.Capacity[corev1.ResourceStorage]; newSize.Cmp(oldSize) < 0 && newSize.Cmp(capacity) <= 0 {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
	}
	errs = append(errs, apivalidation.ValidateImmutableField(c.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	if was := old.Spec.VolumeAttributesClassName; was != nil {
		switch is := c.Spec.VolumeAttributesClassName; {
		case is == nil:
			errs = append(errs, field.Forbidden(field.NewPath("spec", "volumeAttributesClassName"), "update from non-nil value to nil is forbidden"))
		case *is == "" && *was != "":
			errs = append(errs, field.Forbidden(field.NewPath("spec", "volumeAttributesClassName"), "update from non-nil value to an empty string is forbidden"))
		}
	}
	return errs
}

// betaClassUpgrade reports whether an update moves the class of the old
// claim's beta annotation into spec.storageClassName, which upstream allows.
func betaClassUpgrade(old, c *corev1.PersistentVolumeClaim) bool {
	oldClass, oldOK := old.Annotations[corev1.BetaStorageClassAnnotation]
	newClass, newOK := c.Annotations[corev1.BetaStorageClassAnnotation]
	return oldOK && old.Spec.StorageClassName == nil &&
		c.Spec.StorageClassName != nil && *c.Spec.StorageClassName == oldClass &&
		(!newOK || newClass == oldClass)
}
