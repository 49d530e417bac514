package limitrange

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the limitranges resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	return resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("limitranges"), Singular: "limitrange", Namespaced: true,
		New: func() runtime.Object { return &corev1.LimitRange{} }, NewList: func() runtime.Object { return &corev1.LimitRangeList{} },
		ShortNames: []string{"limits"}, Table: table(t),
	}
}
