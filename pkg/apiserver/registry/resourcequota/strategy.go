package resourcequota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the resourcequotas resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Definition{
		Resource: gv.WithResource("resourcequotas"), Singular: "resourcequota", Namespaced: true,
		New: func() runtime.Object { return &corev1.ResourceQuota{} }, NewList: func() runtime.Object { return &corev1.ResourceQuotaList{} },
		ShortNames: []string{"quota"}, Table: table(t),
		Status: resource.NewStatusSplit(gv.String(), func(q *corev1.ResourceQuota) *corev1.ResourceQuotaStatus { return &q.Status },
			func(to, from *corev1.ResourceQuota) { to.Spec = from.Spec }, true),
	}
}
