package persistentvolume

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the persistentvolumes resource as kube-apiserver serves
// it: cluster-scoped, short name pv, a status subresource, a new volume's
// status reset to Pending as of now, and phase changes timed.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.PersistentVolume, corev1.PersistentVolumeList](resource.Definition{
		Resource:   gv.WithResource("persistentvolumes"),
		ShortNames: []string{"pv"},
		Table:      table,
		Status: resource.NewStatusSplit(gv.String(),
			func(v *corev1.PersistentVolume) *corev1.PersistentVolumeStatus { return &v.Status },
			statusUpdate, false),
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.PersistentVolume)) },
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			now := metav1.Now()
			obj.(*corev1.PersistentVolume).Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: &now}
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*corev1.PersistentVolume))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*corev1.PersistentVolume), old.(*corev1.PersistentVolume))
		},
	})
}

// statusUpdate keeps the stored spec of a volume whose status is written
// (to is the update, from the stored volume), and, as upstream's status
// strategy, stamps status.lastPhaseTransitionTime when the phase changes
// and the writer did not set a new time itself.
func statusUpdate(to, from *corev1.PersistentVolume) {
	to.Spec = from.Spec
	if to.Status.Phase != from.Status.Phase &&
		(to.Status.LastPhaseTransitionTime == nil || to.Status.LastPhaseTransitionTime.Equal(from.Status.LastPhaseTransitionTime)) {
		now := metav1.Now()
		to.Status.LastPhaseTransitionTime = &now
	}
}

// setDefaults is core/v1's SetDefaults_PersistentVolume: Pending until
// bound, retained when released, a filesystem unless it says Block.
func setDefaults(v *corev1.PersistentVolume) {
	if v.Status.Phase == "" {
		v.Status.Phase = corev1.VolumePending
	}
	if v.Spec.PersistentVolumeReclaimPolicy == "" {
		v.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if v.Spec.VolumeMode == nil {
		mode := corev1.PersistentVolumeFilesystem
		v.Spec.VolumeMode = &mode
	}
}
