package limitrange

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the limitranges resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.LimitRange, corev1.LimitRangeList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("limitranges"), Namespaced: true,
		ShortNames: []string{"limits"}, Table: table,
	})
}
