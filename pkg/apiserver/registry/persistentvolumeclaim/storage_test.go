package persistentvolumeclaim_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a claim through a real API server: it is Pending with
// a Filesystem volume mode, a claim without a storage request is a 422
// naming the field, its access modes cannot change, and once bound through
// the status subresource its request can grow.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	claims := client.CoreV1().PersistentVolumeClaims("default")
	ctx := t.Context()
	in := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
		// A client's status is dropped on create.
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
	}
	got, err := claims.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Spec.VolumeMode; m == nil || *m != corev1.PersistentVolumeFilesystem {
		t.Errorf("spec.volumeMode = %v, want Filesystem", m)
	}
	if got.Status.Phase != corev1.ClaimPending {
		t.Errorf("status.phase = %q, want Pending", got.Status.Phase)
	}

	bad := in.DeepCopy()
	bad.Name, bad.Spec.Resources.Requests = "bad", nil
	_, err = claims.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.resources[storage]" {
		t.Errorf("create without a storage request: %v, want 422 on spec.resources[storage]", err)
	}

	changed := got.DeepCopy()
	changed.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	if _, err := claims.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of spec.accessModes: %v, want 422 (immutable)", err)
	}

	got.Spec.VolumeName = "pv-data"
	if got, err = claims.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("setting spec.volumeName: %v", err)
	}
	got.Status = corev1.PersistentVolumeClaimStatus{
		Phase:       corev1.ClaimBound,
		AccessModes: got.Spec.AccessModes,
		Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
	}
	if got, err = claims.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("binding through status: %v", err)
	}
	got.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
	if _, err := claims.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Errorf("expanding a bound claim: %v", err)
	}
}
