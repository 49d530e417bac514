package apiserver_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestStorageAdmission creates claims and volumes through a real API
// server: without a default StorageClass a claim keeps no class; once a
// class is marked default, new claims that name none get it; both kinds
// carry their protection finalizer.
func TestStorageAdmission(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	ctx := t.Context()
	claims := client.CoreV1().PersistentVolumeClaims("default")
	claim := func(name string, class *string) *corev1.PersistentVolumeClaim {
		t.Helper()
		got, err := claims.Create(ctx, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				StorageClassName: class,
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create claim %s: %v", name, err)
		}
		return got
	}

	before := claim("before", nil)
	if before.Spec.StorageClassName != nil {
		t.Errorf("claim created without a default class: storageClassName = %q, want unset", *before.Spec.StorageClassName)
	}
	if diff := cmp.Diff([]string{"kubernetes.io/pvc-protection"}, before.Finalizers); diff != "" {
		t.Errorf("claim finalizers (-want +got):\n%s", diff)
	}

	if _, err := client.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "rancher.io/local-path",
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The plugin reads classes from an informer: wait for it to see the class.
	probes := 0
	clustertest.Poll(t, 10*time.Second, func() error {
		probes++
		got := claim(fmt.Sprintf("after-%d", probes), nil)
		if got.Spec.StorageClassName == nil || *got.Spec.StorageClassName != "standard" {
			return fmt.Errorf("claim created after the default class: storageClassName = %v, want standard", got.Spec.StorageClassName)
		}
		return nil
	})
	if got := claim("named", ptr.To("fast")); *got.Spec.StorageClassName != "fast" {
		t.Errorf("claim naming class fast got %q", *got.Spec.StorageClassName)
	}
	if got := claim("empty", ptr.To("")); *got.Spec.StorageClassName != "" {
		t.Errorf("claim naming class \"\" got %q", *got.Spec.StorageClassName)
	}

	pv, err := client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv"},
		Spec: corev1.PersistentVolumeSpec{
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kubernetes.io/pv-protection"}, pv.Finalizers); diff != "" {
		t.Errorf("volume finalizers (-want +got):\n%s", diff)
	}
}
