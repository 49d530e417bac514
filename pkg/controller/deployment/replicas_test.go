package deployment

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func rolling(replicas int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To(replicas),
		Strategy: appsv1.DeploymentStrategy{
			Type:          appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
		},
	}}
}

// TestFenceposts checks upstream's rounding: surge up, unavailable down,
// and one unavailable when both round to zero.
func TestFenceposts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		replicas                   int32
		surge, unavailable         intstr.IntOrString
		wantSurge, wantUnavailable int32
	}{
		{10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{3, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{1, intstr.FromString("0%"), intstr.FromString("10%"), 0, 1},
		{5, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},
		{2, intstr.FromInt32(1), intstr.FromInt32(5), 1, 2},
	} {
		d := rolling(tc.replicas, tc.surge, tc.unavailable)
		if s, u := maxSurge(d), maxUnavailable(d); s != tc.wantSurge || u != tc.wantUnavailable {
			t.Errorf("%d replicas, surge %s, unavailable %s: got %d, %d; want %d, %d",
				tc.replicas, tc.surge.String(), tc.unavailable.String(), s, u, tc.wantSurge, tc.wantUnavailable)
		}
	}
}

// TestProportions scales a Deployment from 10 to 15 replicas mid-rollout
// (ReplicaSets of 8 and 5 sized for a maximum of 13): each grows in
// proportion to its size, to 12 and 7 of the new maximum of 19.
func TestProportions(t *testing.T) {
	t.Parallel()
	d := rolling(15, intstr.FromString("25%"), intstr.FromString("25%"))
	rs := func(n int32) *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{maxReplicasAnnotation: "13"}},
			Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To(n)},
		}
	}
	toAdd := *d.Spec.Replicas + maxSurge(d) - 13
	oldShare := proportion(rs(8), d, toAdd, 0)
	newShare := proportion(rs(5), d, toAdd, oldShare)
	if toAdd != 6 || oldShare != 4 || newShare != 2 {
		t.Errorf("to add %d: shares %d and %d, want 6: 4 and 2", toAdd, oldShare, newShare)
	}
	d.Spec.Replicas = ptr.To[int32](0)
	if p := proportion(rs(8), d, -13, 0); p != -8 {
		t.Errorf("scaling to zero: share %d, want -8", p)
	}
}
