package endpoint

//lint:file-ignore SA1019 fakecluster serves core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func addresses(ips ...string) []corev1.EndpointAddress {
	out := make([]corev1.EndpointAddress, len(ips))
	for i, ip := range ips {
		out[i] = corev1.EndpointAddress{IP: ip}
	}
	return out
}

func endpoints(name string, subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	return &corev1.Endpoints{ObjectMeta: tablestest.ObjectMeta(name, 3*24*time.Hour), Subsets: subsets}
}

func TestTable(t *testing.T) {
	t.Parallel()
	http := []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	tablestest.Golden{Name: "endpoints", Table: table}.Check(t, []tablestest.Case{
		{Name: "no subsets", Obj: endpoints("empty")},
		{Name: "two addresses, one port", Obj: endpoints("web", corev1.EndpointSubset{Addresses: addresses("10.244.1.5", "10.244.2.6"), Ports: http})},
		{Name: "more than three addresses", Obj: endpoints("big", corev1.EndpointSubset{
			Addresses: addresses("10.244.1.1", "10.244.1.2", "10.244.1.3", "10.244.1.4", "10.244.1.5"), Ports: http,
		})},
		{Name: "two ports count each address twice", Obj: endpoints("two-ports", corev1.EndpointSubset{
			Addresses: addresses("10.244.1.1", "10.244.1.2"),
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
		})},
		{Name: "IPv6 addresses are bracketed", Obj: endpoints("v6", corev1.EndpointSubset{Addresses: addresses("fd00:10:244::5"), Ports: http})},
		{Name: "headless without ports", Obj: endpoints("headless", corev1.EndpointSubset{Addresses: addresses("10.244.1.5", "10.244.2.6")})},
		{Name: "only not-ready addresses", Obj: endpoints("not-ready", corev1.EndpointSubset{NotReadyAddresses: addresses("10.244.1.5"), Ports: http})},
		{Name: "list", Obj: &corev1.EndpointsList{
			ListMeta: metav1.ListMeta{ResourceVersion: "77"},
			Items:    []corev1.Endpoints{*endpoints("a"), *endpoints("b", corev1.EndpointSubset{Addresses: addresses("10.0.0.1"), Ports: http})},
		}},
	})
}
