package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// resourceCases are TestValidate's rows for container resources.
func resourceCases() []validateCase {
	return []validateCase{
		{
			name: "valid resources with an extended resource",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{"cpu": resource.MustParse("1"), "memory": resource.MustParse("1Gi"), "example.com/gpu": resource.MustParse("2")},
					Requests: corev1.ResourceList{"cpu": resource.MustParse("500m")},
				}
			},
		},
		{
			name: "requests over limits",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{"cpu": resource.MustParse("500m")},
					Requests: corev1.ResourceList{"cpu": resource.MustParse("1")},
				}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.containers[0].resources.requests", "must be less than or equal to cpu limit of 500m"}},
		},
		{
			name: "resource names and quantities",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{
					"pods":            resource.MustParse("1"),
					"memory":          resource.MustParse("-1"),
					"example.com/gpu": resource.MustParse("500m"),
				}}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[example.com/gpu]", "must be an integer"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[memory]", "must be greater than or equal to 0"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[pods]", "must be a standard resource for containers"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[example.com/gpu]", "must be an integer"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[memory]", "must be greater than or equal to 0"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[pods]", "must be a standard resource for containers"},
			},
		},
	}
}
