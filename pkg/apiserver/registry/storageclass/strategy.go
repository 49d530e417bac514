package storageclass

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the storageclasses resource as kube-apiserver serves it:
// cluster-scoped, short name sc, no status.
func definition() resource.Definition {
	return resource.Define[storagev1.StorageClass, storagev1.StorageClassList](resource.Definition{
		Resource:   storagev1.SchemeGroupVersion.WithResource("storageclasses"),
		ShortNames: []string{"sc"},
		Table:      table,
		Defaults:   func(obj runtime.Object) { setDefaults(obj.(*storagev1.StorageClass)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*storagev1.StorageClass))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*storagev1.StorageClass), old.(*storagev1.StorageClass))
		},
	})
}

// setDefaults is storage/v1's SetDefaults_StorageClass: volumes are
// deleted with their claims and provisioned as soon as a claim asks.
func setDefaults(c *storagev1.StorageClass) {
	if c.ReclaimPolicy == nil {
		policy := corev1.PersistentVolumeReclaimDelete
		c.ReclaimPolicy = &policy
	}
	if c.VolumeBindingMode == nil {
		mode := storagev1.VolumeBindingImmediate
		c.VolumeBindingMode = &mode
	}
}
