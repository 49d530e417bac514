package persistentvolumeclaim

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
			modes = shortAccessModes(c.Status.AccessModes)
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

// shortAccessModes renders access modes as kubectl does: "RWO,ROX", each once,
// in a fixed order, unknown ones left out.
func shortAccessModes(modes []corev1.PersistentVolumeAccessMode) string {
	var short []string
	for _, m := range shortModes {
		if slices.Contains(modes, m.mode) {
			short = append(short, m.short)
		}
	}
	return strings.Join(short, ",")
}
