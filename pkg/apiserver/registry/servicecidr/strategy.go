package servicecidr

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the servicecidrs resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	gv := networkingv1.SchemeGroupVersion
	return resource.Definition{
		Resource: gv.WithResource("servicecidrs"), Singular: "servicecidr",
		New: func() runtime.Object { return &networkingv1.ServiceCIDR{} }, NewList: func() runtime.Object { return &networkingv1.ServiceCIDRList{} },
		Table: table(t),
		Status: resource.NewStatusSplit(gv.String(), func(c *networkingv1.ServiceCIDR) *networkingv1.ServiceCIDRStatus { return &c.Status },
			func(to, from *networkingv1.ServiceCIDR) { to.Spec = from.Spec }, true),
	}
}
