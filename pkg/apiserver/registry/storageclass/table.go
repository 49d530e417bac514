package storageclass

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

const (
	// defaultClassAnnotation marks the cluster's default class, and
	// betaDefaultClassAnnotation did before it; kubectl honours both.
	defaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// table returns the kubectl get columns of storage classes: NAME
// PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE, as
// upstream's printStorageClass, where the default class's name says
// "(default)" and unset fields show their defaults.
func table(t *tables.Convertors) tables.Convertor {
	doc := storagev1.StorageClass{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Provisioner", Type: "string", Description: doc["provisioner"]},
		{Name: "ReclaimPolicy", Type: "string", Description: doc["reclaimPolicy"]},
		{Name: "VolumeBindingMode", Type: "string", Description: doc["volumeBindingMode"]},
		{Name: "AllowVolumeExpansion", Type: "string", Description: doc["allowVolumeExpansion"]},
		tables.AgeColumn(),
	}
	return tables.NewConvertor[*storagev1.StorageClassList](t, columns, func(c *storagev1.StorageClass, now time.Time) []any {
		name := c.Name
		if c.Annotations[defaultClassAnnotation] == "true" || c.Annotations[betaDefaultClassAnnotation] == "true" {
			name += " (default)"
		}
		policy := string(corev1.PersistentVolumeReclaimDelete)
		if c.ReclaimPolicy != nil {
			policy = string(*c.ReclaimPolicy)
		}
		mode := string(storagev1.VolumeBindingImmediate)
		if c.VolumeBindingMode != nil {
			mode = string(*c.VolumeBindingMode)
		}
		expansion := c.AllowVolumeExpansion != nil && *c.AllowVolumeExpansion
		return []any{name, c.Provisioner, policy, mode, expansion, tables.Age(c.CreationTimestamp, now)}
	})
}
