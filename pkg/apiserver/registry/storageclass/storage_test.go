package storageclass_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a StorageClass through a real API server: its reclaim
// policy and binding mode are defaulted, a class without a provisioner is
// a 422 naming the field, and its parameters cannot change.
func TestServed(t *testing.T) {
	t.Parallel()
	classes := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).StorageV1().StorageClasses()
	ctx := t.Context()
	in := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "fast"},
		Provisioner: "example.com/ssd",
		Parameters:  map[string]string{"type": "ssd"},
	}
	got, err := classes.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.ReclaimPolicy; p == nil || *p != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("reclaimPolicy = %v, want Delete", p)
	}
	if m := got.VolumeBindingMode; m == nil || *m != storagev1.VolumeBindingImmediate {
		t.Errorf("volumeBindingMode = %v, want Immediate", m)
	}

	bad := in.DeepCopy()
	bad.Name, bad.Provisioner = "bad", ""
	_, err = classes.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "provisioner" {
		t.Errorf("create without a provisioner: %v, want 422 on provisioner", err)
	}

	got.Parameters["type"] = "hdd"
	if _, err := classes.Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of parameters: %v, want 422 (immutable)", err)
	}
}
