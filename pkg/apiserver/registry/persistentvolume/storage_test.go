package persistentvolume_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a volume through a real API server: its reclaim
// policy and volume mode are defaulted and it is Pending whatever status
// the client sent, a volume with two sources is a 422 naming the second,
// its source cannot change, and its status is written through the status
// subresource.
func TestServed(t *testing.T) {
	t.Parallel()
	volumes := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).CoreV1().PersistentVolumes()
	ctx := t.Context()
	in := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-data"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
	}
	got, err := volumes.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("spec.persistentVolumeReclaimPolicy = %q, want Retain", got.Spec.PersistentVolumeReclaimPolicy)
	}
	if m := got.Spec.VolumeMode; m == nil || *m != corev1.PersistentVolumeFilesystem {
		t.Errorf("spec.volumeMode = %v, want Filesystem", m)
	}
	if got.Status.Phase != corev1.VolumePending || got.Status.LastPhaseTransitionTime == nil {
		t.Errorf("status = %+v, want Pending with a lastPhaseTransitionTime", got.Status)
	}

	bad := in.DeepCopy()
	bad.Name = "bad"
	bad.Spec.NFS = &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports"}
	_, err = volumes.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.nfs" {
		t.Errorf("create with two sources: %v, want 422 on spec.nfs", err)
	}

	changed := got.DeepCopy()
	changed.Spec.HostPath.Path = "/other"
	if _, err := volumes.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of spec.hostPath.path: %v, want 422 (immutable)", err)
	}

	got.Status.Phase = corev1.VolumeAvailable
	got, err = volumes.UpdateStatus(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.VolumeAvailable {
		t.Errorf("status.phase after a status update = %q, want Available", got.Status.Phase)
	}
}
