package servicecidr

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the servicecidrs resource as kube-apiserver serves it.
func definition() resource.Definition {
	gv := networkingv1.SchemeGroupVersion
	return resource.Define[networkingv1.ServiceCIDR, networkingv1.ServiceCIDRList](resource.Definition{
		Resource: gv.WithResource("servicecidrs"),
		Table:    table,
		Status: resource.NewStatusSplit(gv.String(), func(c *networkingv1.ServiceCIDR) *networkingv1.ServiceCIDRStatus { return &c.Status },
			func(to, from *networkingv1.ServiceCIDR) { to.Spec = from.Spec }, true),
	})
}
