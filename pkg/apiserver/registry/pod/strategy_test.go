package pod

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestPrepareForCreateQOS checks status.qosClass on create, including a pod
// whose pod-level resources (spec.resources) decide it over its containers'.
func TestPrepareForCreateQOS(t *testing.T) {
	t.Parallel()
	list := func(cpu, memory string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
	}
	guaranteed := corev1.ResourceRequirements{Requests: list("1", "1Gi"), Limits: list("1", "1Gi")}
	burstable := corev1.ResourceRequirements{Requests: list("100m", "64Mi")}
	tests := []struct {
		name       string
		containers []corev1.ResourceRequirements
		pod        *corev1.ResourceRequirements
		want       corev1.PodQOSClass
	}{
		{name: "no resources", containers: []corev1.ResourceRequirements{{}}, want: corev1.PodQOSBestEffort},
		{name: "requests below limits", containers: []corev1.ResourceRequirements{burstable}, want: corev1.PodQOSBurstable},
		{name: "requests equal limits", containers: []corev1.ResourceRequirements{guaranteed, guaranteed}, want: corev1.PodQOSGuaranteed},
		{name: "one guaranteed, one best effort", containers: []corev1.ResourceRequirements{guaranteed, {}}, want: corev1.PodQOSBurstable},
		{name: "pod-level guaranteed over best-effort containers", containers: []corev1.ResourceRequirements{{}}, pod: &guaranteed, want: corev1.PodQOSGuaranteed},
		{name: "pod-level burstable over guaranteed containers", containers: []corev1.ResourceRequirements{guaranteed}, pod: &burstable, want: corev1.PodQOSBurstable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &corev1.Pod{Spec: corev1.PodSpec{Resources: tt.pod}}
			for _, r := range tt.containers {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Image: "nginx", Resources: r})
			}
			prepareForCreate(t.Context(), p)
			if p.Status.QOSClass != tt.want {
				t.Errorf("qosClass = %q, want %q", p.Status.QOSClass, tt.want)
			}
		})
	}
}
