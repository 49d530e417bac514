package kubelet

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestContainerSpec checks that a container is looked up in its own list
// only, and that an ephemeral container's spec is its common part.
func TestContainerSpec(t *testing.T) {
	t.Parallel()
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "setup", Image: "busybox"}},
		Containers:     []corev1.Container{{Name: "app", Image: "nginx"}, {Name: "side", Image: "envoy"}},
		EphemeralContainers: []corev1.EphemeralContainer{{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox"},
			TargetContainerName:      "app",
		}},
	}}
	tests := []struct {
		name      string
		container string
		kind      containerKind
		want      *corev1.Container
	}{
		{"init container", "setup", initContainer, &pod.Spec.InitContainers[0]},
		{"second regular container", "side", regularContainer, &pod.Spec.Containers[1]},
		{"ephemeral container", "debug", ephemeralContainer, (*corev1.Container)(&pod.Spec.EphemeralContainers[0].EphemeralContainerCommon)},
		{"in another list", "app", initContainer, nil},
		{"absent", "nope", regularContainer, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := containerSpec(pod, tt.container, tt.kind); got != tt.want {
				t.Errorf("containerSpec(%q, %s) = %p, want %p", tt.container, tt.kind, got, tt.want)
			}
		})
	}
}
