package configmap

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the configmaps resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.ConfigMap, corev1.ConfigMapList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("configmaps"), Namespaced: true,
		ShortNames: []string{"cm"}, Table: table,
	})
}
