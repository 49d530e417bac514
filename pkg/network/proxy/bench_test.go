package proxy

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// BenchmarkRoute routes to a Service with 10 endpoints among 1000
// Services of two endpoints each, and, as a pod connecting to another pod
// does, to an address that is no Service's, with the Table configured as
// pkg/network configures it (through the indexes).
func BenchmarkRoute(b *testing.B) {
	benchRoutes(b, New(benchAPI(b, 1000).config(nil)))
}

// BenchmarkRouteScale is BenchmarkRoute among 100 to 10,000 Services,
// through the indexes and, for reference up to 1000, listing every
// Service (at 10,000 a listed route takes milliseconds): the indexed
// figures should not move with the count.
func BenchmarkRouteScale(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		a := benchAPI(b, n)
		b.Run(fmt.Sprintf("services=%d/indexed", n), func(b *testing.B) { benchRoutes(b, New(a.config(nil))) })
		if n <= 1000 {
			b.Run(fmt.Sprintf("services=%d/listed", n), func(b *testing.B) { benchRoutes(b, New(a.listerConfig(nil))) })
		}
	}
}

// benchAPI holds n Services of two endpoints each, but for svc-0's ten.
func benchAPI(b *testing.B, n int) *api {
	a := newAPI(b)
	for i := range n {
		eps := 2
		if i == 0 {
			eps = 10
		}
		svc, slice := benchService(i, eps)
		a.add(b, svc)
		a.add(b, slice)
	}
	// The set-up's garbage is not the routes' to collect.
	runtime.GC()
	return a
}

// benchRoutes routes from a pod on node a to svc-0 and to another pod.
func benchRoutes(b *testing.B, table *Table) {
	from := netip.MustParseAddr("10.244.0.1")
	for _, bc := range []struct {
		name string
		to   netip.AddrPort
		want error
	}{
		{name: "service", to: netip.AddrPortFrom(benchIP(0), 80)},
		{name: "pod", to: netip.MustParseAddrPort("10.244.1.1:8080"), want: ErrNoService},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := table.Route(from, "a", bc.to); err != bc.want {
					b.Fatalf("Route: %v, want %v", err, bc.want)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "routes/s")
		})
	}
}

// benchService is Service svc-i at 10.96.x.y:80 and its IPv4 slice of n
// ready endpoints spread over nodes a, b and c.
func benchService(i, n int) (*corev1.Service, *discoveryv1.EndpointSlice) {
	name := fmt.Sprintf("svc-%d", i)
	ip := benchIP(i)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: ip.String(), ClusterIPs: []string{ip.String()},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
		},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name + "-abcde",
			Labels: map[string]string{discoveryv1.LabelServiceName: name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for j := range n {
		node := nodeNames[j%len(nodeNames)]
		addr := netip.AddrFrom4([4]byte{10, 244, byte(nodeIndex(node)), byte(i%200 + j + 2)})
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{addr.String()},
			NodeName:   ptr.To(node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
		})
	}
	return svc, slice
}

func benchIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 96, byte(i / 250), byte(i%250 + 1)})
}
