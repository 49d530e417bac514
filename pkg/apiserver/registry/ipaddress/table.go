package ipaddress

import (
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of IP addresses: NAME PARENTREF.
//
// kube-apiserver defines only those two columns yet sends a third cell, the age; kubectl
// prints as many cells as there are columns, so the age never shows. The rows here carry
// the same three cells so the wire format matches.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "ParentRef", Type: "string", Description: "The object the address is allocated to, as resource.group/namespace/name."},
	}
	return tables.NewConvertor[*networkingv1.IPAddressList](t, columns, func(ip *networkingv1.IPAddress, now time.Time) []any {
		return []any{ip.Name, parentRef(ip.Spec.ParentRef), tables.Age(ip.CreationTimestamp, now)}
	})
}

// parentRef renders "services/default/web" (the group is omitted for the core
// group), or "<none>".
func parentRef(ref *networkingv1.ParentReference) string {
	if ref == nil {
		return "<none>"
	}
	s := strings.ToLower(schema.GroupResource{Group: ref.Group, Resource: ref.Resource}.String())
	if ref.Namespace != "" {
		s += "/" + ref.Namespace
	}
	return s + "/" + ref.Name
}
