package persistentvolumeclaim

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the persistentvolumeclaims resource as kube-apiserver
// serves it: namespaced, short name pvc, a status subresource, and a status
// the server clears on create.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.PersistentVolumeClaim, corev1.PersistentVolumeClaimList](resource.Definition{
		Resource:   gv.WithResource("persistentvolumeclaims"),
		Namespaced: true,
		ShortNames: []string{"pvc"},
		Table:      table,
		Status: resource.NewStatusSplit(gv.String(),
			func(c *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaimStatus { return &c.Status },
			func(to, from *corev1.PersistentVolumeClaim) { to.Spec = from.Spec }, true),
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.PersistentVolumeClaim)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*corev1.PersistentVolumeClaim))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*corev1.PersistentVolumeClaim), old.(*corev1.PersistentVolumeClaim))
		},
	})
}

// setDefaults is core/v1's SetDefaults_PersistentVolumeClaim and
// SetDefaults_PersistentVolumeClaimSpec: a claim is Pending until bound,
// and a claim for no particular volume mode wants a filesystem.
func setDefaults(c *corev1.PersistentVolumeClaim) {
	if c.Status.Phase == "" {
		c.Status.Phase = corev1.ClaimPending
	}
	if c.Spec.VolumeMode == nil {
		mode := corev1.PersistentVolumeFilesystem
		c.Spec.VolumeMode = &mode
	}
}
