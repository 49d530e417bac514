package persistentvolume

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
	available := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-a", CreationTimestamp: tablestest.Ago(5 * time.Minute)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable},
	}
	bound := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-b", CreationTimestamp: tablestest.Ago(26 * time.Hour)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("500Mi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef:                      &corev1.ObjectReference{Namespace: "default", Name: "data"},
			StorageClassName:              "fast",
			VolumeAttributesClassName:     ptr.To("gold"),
			PersistentVolumeSource:        corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: "v1"}},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeFailed, Reason: "RecyclerFailed"},
	}
	deleting := available.DeepCopy()
	deleting.Name, deleting.DeletionTimestamp = "pv-c", ptr.To(tablestest.Ago(time.Second))
	deleting.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: "beta-class"}
	tablestest.Golden{Name: "persistentvolumes", Table: table}.Check(t, []tablestest.Case{
		{Name: "available hostPath", Obj: available},
		{Name: "claimed, failed, with classes", Obj: bound},
		{Name: "deleting, class from the beta annotation", Obj: deleting},
		{Name: "list", Obj: &corev1.PersistentVolumeList{ListMeta: metav1.ListMeta{ResourceVersion: "4"}, Items: []corev1.PersistentVolume{*available, *bound}}},
	})
}
