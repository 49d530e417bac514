package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the serviceaccounts resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	return resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("serviceaccounts"), Singular: "serviceaccount", Namespaced: true,
		New: func() runtime.Object { return &corev1.ServiceAccount{} }, NewList: func() runtime.Object { return &corev1.ServiceAccountList{} },
		ShortNames: []string{"sa"}, Table: table(t),
	}
}
