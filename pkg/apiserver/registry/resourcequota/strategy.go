package resourcequota

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the resourcequotas resource as kube-apiserver serves it.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.ResourceQuota, corev1.ResourceQuotaList](resource.Definition{
		Resource: gv.WithResource("resourcequotas"), Namespaced: true,
		ShortNames: []string{"quota"}, Table: table,
		Status: resource.NewStatusSplit(gv.String(), func(q *corev1.ResourceQuota) *corev1.ResourceQuotaStatus { return &q.Status },
			func(to, from *corev1.ResourceQuota) { to.Spec = from.Spec }, true),
	})
}
