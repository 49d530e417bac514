package persistentvolumeclaim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	pending := &corev1.PersistentVolumeClaim{
		ObjectMeta: tablestest.ObjectMeta("data", 30*time.Second),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To("standard"),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	bound := &corev1.PersistentVolumeClaim{
		ObjectMeta: tablestest.ObjectMeta("logs", 2*time.Hour),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:               []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteOnce},
			VolumeName:                "pv-logs",
			StorageClassName:          ptr.To("fast"),
			VolumeAttributesClassName: ptr.To("gold"),
			VolumeMode:                ptr.To(corev1.PersistentVolumeBlock),
			Resources:                 corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}},
		},
		Status: corev1.PersistentVolumeClaimStatus{
			Phase:       corev1.ClaimBound,
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadOnlyMany, corev1.ReadWriteOnce, corev1.ReadWriteMany},
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
		},
	}
	deleting := bound.DeepCopy()
	deleting.Name, deleting.DeletionTimestamp = "old", ptr.To(tablestest.Ago(time.Second))
	deleting.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: "beta-class"}
	tablestest.Golden{Name: "persistentvolumeclaims", Table: table}.Check(t, []tablestest.Case{
		{Name: "pending: no volume, capacity or access modes", Obj: pending},
		{Name: "bound: the volume's capacity and modes", Obj: bound},
		{Name: "deleting, class from the beta annotation", Obj: deleting},
		{Name: "list", Obj: &corev1.PersistentVolumeClaimList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}, Items: []corev1.PersistentVolumeClaim{*pending, *bound}}},
	})
}
