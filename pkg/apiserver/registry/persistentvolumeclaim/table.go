package persistentvolumeclaim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pvmodes"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of claims: NAME STATUS VOLUME
// CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE, and
// VOLUMEMODE with -o wide, as upstream's printPersistentVolumeClaim. A
// claim being deleted is Terminating; capacity and access modes are the
// bound volume's (from status), blank while unbound.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Status", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"]},
		{Name: "Volume", Type: "string", Description: corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeName"]},
		{Name: "Capacity", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"]},
		{Name: "Access Modes", Type: "string", Description: corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"]},
		{Name: "StorageClass", Type: "string", Description: "StorageClass of the pvc"},
		{Name: "VolumeAttributesClass", Type: "string", Description: "VolumeAttributesClass of the pvc"},
		tables.AgeColumn(),
		{Name: "VolumeMode", Type: "string", Priority: 1, Description: corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeMode"]},
	}
	return tables.NewConvertor[*corev1.PersistentVolumeClaimList](t, columns, func(c *corev1.PersistentVolumeClaim, now time.Time) []any {
		phase := string(c.Status.Phase)
		if c.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		capacity, modes := "", ""
		if c.Spec.VolumeName != "" {
			modes = pvmodes.ShortAccessModes(c.Status.AccessModes)
			size := c.Status.Capacity[corev1.ResourceStorage]
			capacity = size.String()
		}
		attributesClass := "<unset>"
		if name := c.Spec.VolumeAttributesClassName; name != nil && *name != "" {
			attributesClass = *name
		}
		volumeMode := "<unset>"
		if c.Spec.VolumeMode != nil {
			volumeMode = string(*c.Spec.VolumeMode)
		}
		return []any{c.Name, phase, c.Spec.VolumeName, capacity, modes, storageClass(c), attributesClass,
			tables.Age(c.CreationTimestamp, now), volumeMode}
	})
}

// storageClass is the claim's class: the beta annotation's, which takes
// precedence as upstream's GetPersistentVolumeClaimClass, or spec's.
func storageClass(c *corev1.PersistentVolumeClaim) string {
	if class, ok := c.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return class
	}
	if c.Spec.StorageClassName != nil {
		return *c.Spec.StorageClassName
	}
	return ""
}
