package ipaddress

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the ipaddresses resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[networkingv1.IPAddress, networkingv1.IPAddressList](resource.Definition{
		Resource:   networkingv1.SchemeGroupVersion.WithResource("ipaddresses"),
		ShortNames: []string{"ip"}, Table: table,
		// IPAddress names are the addresses themselves.
		NameFunc: func(string, bool) []string { return nil },
	})
}
