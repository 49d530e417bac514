package tables

import (
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ServiceCIDRs returns the convertor for networking/v1 ServiceCIDRs: NAME CIDRS AGE.
func (c *Convertors) ServiceCIDRs() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "CIDRs", Type: "string", Description: "The ranges service cluster IPs are allocated from."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(s *networkingv1.ServiceCIDR, now time.Time) []any {
		return []any{s.Name, strings.Join(s.Spec.CIDRs, ","), age(s.CreationTimestamp, now)}
	}, func(l *networkingv1.ServiceCIDRList) []*networkingv1.ServiceCIDR { return pointers(l.Items) })
}

// IPAddresses returns the convertor for networking/v1 IPAddresses: NAME PARENTREF.
//
// kube-apiserver defines only those two columns yet sends a third cell, the age; kubectl
// prints as many cells as there are columns, so the age never shows. The rows here carry
// the same three cells so the wire format matches.
func (c *Convertors) IPAddresses() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "ParentRef", Type: "string", Description: "The object the address is allocated to, as resource.group/namespace/name."},
	}
	return convertor(c.clock, columns, func(ip *networkingv1.IPAddress, now time.Time) []any {
		return []any{ip.Name, ipAddressParent(ip.Spec.ParentRef), age(ip.CreationTimestamp, now)}
	}, func(l *networkingv1.IPAddressList) []*networkingv1.IPAddress { return pointers(l.Items) })
}

// ipAddressParent renders "services/default/web" (the group is omitted for the core
// group), or "<none>".
func ipAddressParent(ref *networkingv1.ParentReference) string {
	if ref == nil {
		return "<none>"
	}
	s := strings.ToLower(schema.GroupResource{Group: ref.Group, Resource: ref.Resource}.String())
	if ref.Namespace != "" {
		s += "/" + ref.Namespace
	}
	return s + "/" + ref.Name
}
