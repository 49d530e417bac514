package endpointslice

import (
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of endpoint slices:
// NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*discoveryv1.EndpointSliceList](t, []metav1.TableColumnDefinition{
		{Name: "AddressType", Type: "string", Description: "The address family of the slice: IPv4, IPv6 or FQDN."},
		{Name: "Ports", Type: "string", Description: "The first few ports of the slice."},
		{Name: "Endpoints", Type: "string", Description: "The first few endpoint addresses of the slice."},
	}, endpointSliceCells)
}

// endpointSliceCells renders the ADDRESSTYPE, PORTS and ENDPOINTS cells.
func endpointSliceCells(s *discoveryv1.EndpointSlice) []any {
	var ports []string
	for _, p := range s.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	var addrs []string
	for _, ep := range s.Endpoints {
		addrs = append(addrs, ep.Addresses...)
	}
	return []any{string(s.AddressType), unsetIfEmpty(tables.Abbreviate(ports)), unsetIfEmpty(tables.Abbreviate(addrs))}
}

// unsetIfEmpty returns "<unset>" for an empty cell, as kube-apiserver does for a slice
// without ports or endpoints.
func unsetIfEmpty(s string) string {
	if s == "" {
		return "<unset>"
	}
	return s
}
