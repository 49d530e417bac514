package kubelet

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
)

// TestUnableToMount checks the FailedMount event of a pod whose claims the
// kubelet cannot use yet: the volumes its containers mount that are not
// mounted, those of them it could not process, and the reasons, sorted.
func TestUnableToMount(t *testing.T) {
	t.Parallel()
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", VolumeMounts: []corev1.VolumeMount{{Name: "seed"}}}},
		Containers: []corev1.Container{
			{Name: "app", VolumeMounts: []corev1.VolumeMount{{Name: "data"}, {Name: "config"}}},
			{Name: "sidecar", VolumeMounts: []corev1.VolumeMount{{Name: "data"}}},
		},
	}}
	claim := func(volume, name, why string) *volumes.ClaimError {
		return &volumes.ClaimError{Volume: volume, Namespace: "default", Claim: name, Err: errors.New(why)}
	}
	tests := []struct {
		name   string
		mounts []*volumes.SetUpError
		claims []*volumes.ClaimError
		want   string
	}{
		{
			name:   "one claim",
			claims: []*volumes.ClaimError{claim("data", "data", "PVC is not bound")},
			want:   "unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound",
		},
		{
			name:   "two claims and a failed volume",
			mounts: []*volumes.SetUpError{{Volume: "config", PodVolume: "config", Err: errors.New(`configmap "x" not found`)}},
			claims: []*volumes.ClaimError{claim("seed", "seed", "PVC is not bound"), claim("data", "data", "PVC is being deleted")},
			want: "unmounted volumes=[config data seed], unattached volumes=[], failed to process volumes=[data seed]: " +
				"error processing PVC default/data: PVC is being deleted; error processing PVC default/seed: PVC is not bound",
		},
		{
			name:   "a claim no container mounts",
			claims: []*volumes.ClaimError{claim("spare", "spare", "PVC is not bound")},
			want:   "unmounted volumes=[], unattached volumes=[], failed to process volumes=[]: error processing PVC default/spare: PVC is not bound",
		},
		{
			name:   "a claim's volume that failed is named by the pod's volume",
			mounts: []*volumes.SetUpError{{Volume: "pvc-1", PodVolume: "data", Err: errors.New("hostPath /x doesn't exist")}},
			claims: []*volumes.ClaimError{claim("seed", "seed", "PVC is not bound")},
			want:   "unmounted volumes=[data seed], unattached volumes=[], failed to process volumes=[seed]: error processing PVC default/seed: PVC is not bound",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := unableToMount(pod, tt.mounts, tt.claims)
			if diff := cmp.Diff("Unable to attach or mount volumes: "+tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMountFailures sorts Setup's joined error into the volumes that
// failed and the claims that cannot be used yet.
func TestMountFailures(t *testing.T) {
	t.Parallel()
	se := &volumes.SetUpError{Volume: "a", PodVolume: "a", Err: errors.New("x")}
	ce := &volumes.ClaimError{Volume: "b", Namespace: "default", Claim: "b", Err: errors.New("PVC is not bound")}
	mounts, claims := mountFailures(errors.Join(se, fmt.Errorf("other"), ce))
	if len(mounts) != 1 || mounts[0] != se || len(claims) != 1 || claims[0] != ce {
		t.Errorf("mountFailures = %v, %v; want [%v], [%v]", mounts, claims, se, ce)
	}
}
