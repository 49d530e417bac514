// Package pvmodes holds what the persistentvolumes and
// persistentvolumeclaims registries check and print alike: the access
// modes, as kube-apiserver validates them and kubectl abbreviates them,
// and the volume modes.
package pvmodes

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// accessModes and volumeModes are the supported values, sorted as
// kube-apiserver lists them in its errors.
var (
	accessModes = []corev1.PersistentVolumeAccessMode{
		corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod,
	}
	volumeModes = []corev1.PersistentVolumeMode{corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem}
)

// ValidateAccessModes checks that every mode is supported and that
// ReadWriteOncePod stands alone.
func ValidateAccessModes(modes []corev1.PersistentVolumeAccessMode, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	oncePod, other := false, false
	for _, mode := range modes {
		switch mode {
		case corev1.ReadWriteOncePod:
			oncePod = true
		case corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany:
			other = true
		default:
			errs = append(errs, field.NotSupported(fld, mode, accessModes))
		}
	}
	if oncePod && other {
		errs = append(errs, field.Forbidden(fld, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

// ValidateVolumeMode checks a volume mode, if set.
func ValidateVolumeMode(mode *corev1.PersistentVolumeMode, fld *field.Path) field.ErrorList {
	if mode == nil || slices.Contains(volumeModes, *mode) {
		return nil
	}
	return field.ErrorList{field.NotSupported(fld, *mode, volumeModes)}
}

// shortModes are the access modes' abbreviations in the order kubectl
// prints them.
var shortModes = []struct {
	mode  corev1.PersistentVolumeAccessMode
	short string
}{
	{corev1.ReadWriteOnce, "RWO"},
	{corev1.ReadOnlyMany, "ROX"},
	{corev1.ReadWriteMany, "RWX"},
	{corev1.ReadWriteOncePod, "RWOP"},
}

// ShortAccessModes renders access modes as kubectl does: "RWO,ROX", each
// once, in a fixed order, unknown ones left out.
func ShortAccessModes(modes []corev1.PersistentVolumeAccessMode) string {
	var short []string
	for _, m := range shortModes {
		if slices.Contains(modes, m.mode) {
			short = append(short, m.short)
		}
	}
	return strings.Join(short, ",")
}
