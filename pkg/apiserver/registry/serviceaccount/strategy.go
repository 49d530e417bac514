package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the serviceaccounts resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.ServiceAccount, corev1.ServiceAccountList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("serviceaccounts"), Namespaced: true,
		ShortNames: []string{"sa"}, Table: table,
	})
}
