package endpointslice

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func endpointSlice(name string, typ discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...[]string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: tablestest.ObjectMeta(name, 90*time.Second), AddressType: typ, Ports: ports}
	for _, addrs := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: addrs})
	}
	return s
}

func TestTable(t *testing.T) {
	t.Parallel()
	http := []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80), Protocol: ptr.To(corev1.ProtocolTCP)}}
	tablestest.Golden{Name: "endpointslices", Table: table}.Check(t, []tablestest.Case{
		{Name: "IPv4 slice", Obj: endpointSlice("web-abc12", discoveryv1.AddressTypeIPv4, http, []string{"10.244.1.5"}, []string{"10.244.2.6"})},
		{Name: "IPv6 slice of a dual-stack service", Obj: endpointSlice("web-def34", discoveryv1.AddressTypeIPv6, http, []string{"fd00:10:244::5"})},
		{Name: "more than three endpoints and ports", Obj: endpointSlice("big-xyz", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}, {Port: ptr.To[int32](443)}, {Port: ptr.To[int32](8080)}, {Port: ptr.To[int32](9090)}},
			[]string{"10.0.0.1", "10.0.0.2"}, []string{"10.0.0.3"}, []string{"10.0.0.4"}, []string{"10.0.0.5"})},
		{Name: "port without number shows its name, without either a star", Obj: endpointSlice("named", discoveryv1.AddressTypeFQDN,
			[]discoveryv1.EndpointPort{{Name: ptr.To("grpc")}, {}}, []string{"backend.example.com"})},
		{Name: "no ports and no endpoints", Obj: endpointSlice("empty", discoveryv1.AddressTypeIPv4, nil)},
		{Name: "list", Obj: &discoveryv1.EndpointSliceList{
			ListMeta: metav1.ListMeta{ResourceVersion: "88", RemainingItemCount: ptr.To[int64](0)},
			Items:    []discoveryv1.EndpointSlice{*endpointSlice("a", discoveryv1.AddressTypeIPv4, http)},
		}},
	})
}
