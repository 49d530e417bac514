package storageclass

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	plain := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "slow", CreationTimestamp: tablestest.Ago(40 * time.Second)},
		Provisioner: "example.com/hdd",
	}
	standard := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name: "standard", CreationTimestamp: tablestest.Ago(49 * time.Hour),
			Annotations: map[string]string{defaultClassAnnotation: "true"},
		},
		Provisioner:          "rancher.io/local-path",
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimRetain),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr.To(true),
	}
	beta := plain.DeepCopy()
	beta.Name, beta.Annotations = "legacy", map[string]string{betaDefaultClassAnnotation: "true"}
	notDefault := plain.DeepCopy()
	notDefault.Name, notDefault.Annotations = "fast", map[string]string{defaultClassAnnotation: "false"}
	tablestest.Golden{Name: "storageclasses", Table: table}.Check(t, []tablestest.Case{
		{Name: "unset fields show their defaults", Obj: plain},
		{Name: "default, everything set", Obj: standard},
		{Name: "default by the beta annotation", Obj: beta},
		{Name: "annotation false", Obj: notDefault},
		{Name: "list", Obj: &storagev1.StorageClassList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}, Items: []storagev1.StorageClass{*plain, *standard}}},
	})
}
