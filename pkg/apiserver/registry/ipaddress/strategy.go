package ipaddress

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the ipaddresses resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	return resource.Definition{
		Resource: networkingv1.SchemeGroupVersion.WithResource("ipaddresses"), Singular: "ipaddress",
		New: func() runtime.Object { return &networkingv1.IPAddress{} }, NewList: func() runtime.Object { return &networkingv1.IPAddressList{} },
		ShortNames: []string{"ip"}, Table: table(t),
		// IPAddress names are the addresses themselves.
		NameFunc: func(string, bool) []string { return nil },
	}
}
