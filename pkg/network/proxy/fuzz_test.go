package proxy

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// FuzzIndexedRoute checks that a Table reading the indexes routes every
// connection as one listing every Service does, over Services that share
// addresses and ports, spell addresses sloppily, are of every type and
// label, and slices that name them or not.
func FuzzIndexedRoute(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("a Service, a NodePort, an external IP and a LoadBalancer"))
	f.Add([]byte{4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0xfe, 0xfd, 0xfc})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{data: data}
		objs := fuzzObjects(in)
		a := newAPI(t, objs...)
		indexed, listed := New(a.config(fixed(0))), New(a.listerConfig(fixed(0)))
		for _, from := range []struct{ addr, node string }{{"10.244.0.5", "a"}, {"fd00:10:244::5", "a"}, {"198.18.0.1", ""}, {"192.168.0.3", "b"}} {
			for _, ip := range fuzzDestinations {
				for _, port := range []uint16{80, 81, 30080, 30081} {
					to := netip.AddrPortFrom(netip.MustParseAddr(ip), port)
					src := netip.MustParseAddr(from.addr)
					want, wantErr := listed.Route(src, from.node, to)
					got, gotErr := indexed.Route(src, from.node, to)
					if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
						t.Fatalf("Route(%s, %q, %s): indexed error %v, listed %v", src, from.node, to, gotErr, wantErr)
					}
					if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
						t.Fatalf("Route(%s, %q, %s) indexed (-listed +indexed):\n%s", src, from.node, to, diff)
					}
				}
			}
		}
	})
}

// fuzzAddresses are what the fuzzed Services' address fields hold: a few
// addresses of both families, the same in other spellings, and garbage.
var fuzzAddresses = []string{
	"10.96.0.1", "10.96.0.2", "010.096.000.001", "::ffff:10.96.0.2", "203.0.113.1", "198.51.100.1",
	"192.168.0.2", "fd00:10:96::1", "fd00:10:96:0::2", "2001:db8:e::1", "fc00::2", "fe80::1%eth0", "not-an-ip", "",
}

// fuzzDestinations are the addresses the fuzz test connects to.
var fuzzDestinations = []string{
	"10.96.0.1", "10.96.0.2", "203.0.113.1", "198.51.100.1", "192.168.0.2", "192.168.0.3",
	"fd00:10:96::1", "fd00:10:96::2", "2001:db8:e::1", "fc00::2", "10.244.1.1",
}

// fuzzInput hands out the fuzzer's bytes, zeros once they run out.
type fuzzInput struct {
	data []byte
	i    int
}

func (in *fuzzInput) next(n int) int {
	if in.i >= len(in.data) {
		return 0
	}
	b := in.data[in.i]
	in.i++
	return int(b) % n
}

func (in *fuzzInput) pick(s []string) string { return s[in.next(len(s))] }

// fuzzObjects builds up to six Services, each with a slice of each family
// of one endpoint, and a slice of a Service that does not exist.
func fuzzObjects(in *fuzzInput) []runtime.Object {
	var objs []runtime.Object
	types := []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}
	modes := []*corev1.LoadBalancerIPMode{nil, ptr.To(corev1.LoadBalancerIPModeVIP), ptr.To(corev1.LoadBalancerIPModeProxy)}
	n := in.next(6) + 1
	for i := range n {
		ns := []string{"default", "other"}[in.next(2)]
		name := fmt.Sprintf("svc-%d", in.next(4))
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       corev1.ServiceSpec{Type: types[in.next(len(types))]},
		}
		switch in.next(6) {
		case 1:
			svc.Labels = map[string]string{labelServiceProxyName: "other"}
		case 2:
			svc.Labels = map[string]string{corev1.IsHeadlessService: ""}
		}
		if in.next(2) == 1 {
			svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}
		if in.next(2) == 1 {
			svc.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
		}
		if in.next(2) == 1 {
			svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		}
		for range in.next(3) {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, in.pick(fuzzAddresses))
		}
		switch in.next(3) {
		case 0:
			if len(svc.Spec.ClusterIPs) > 0 {
				svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
			}
		case 1:
			svc.Spec.ClusterIP = in.pick(fuzzAddresses)
		}
		for range in.next(3) {
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}[in.next(2)])
		}
		for j := range in.next(2) + 1 {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
				Name:     fmt.Sprintf("p%d", j),
				Protocol: []corev1.Protocol{corev1.ProtocolTCP, "", corev1.ProtocolUDP}[in.next(3)],
				Port:     int32(80 + in.next(2)),
				NodePort: []int32{0, 30080, 30081}[in.next(3)],
			})
		}
		for range in.next(2) {
			svc.Spec.ExternalIPs = append(svc.Spec.ExternalIPs, in.pick(fuzzAddresses))
		}
		for range in.next(2) {
			svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: in.pick(fuzzAddresses), IPMode: modes[in.next(len(modes))]})
		}
		objs = append(objs, svc)
		for _, family := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
			addr := fmt.Sprintf("10.244.%d.%d", in.next(3), i+2)
			if family == discoveryv1.AddressTypeIPv6 {
				addr = fmt.Sprintf("fd00:10:244:%d::%d", in.next(3), i+2)
			}
			objs = append(objs, fuzzSlice(ns, name, fmt.Sprintf("%s-%d", family, i), family, addr, nodeNames[in.next(3)], in.next(4) != 0))
		}
	}
	objs = append(objs, fuzzSlice("default", "nobody", "stray", discoveryv1.AddressTypeIPv4, "10.244.2.99", "c", true))
	return objs
}

// fuzzSlice is a slice for Service ns/svc with one endpoint at addr on
// node, ready or not, serving ports p0 and p1 at 8080 and 8081.
func fuzzSlice(ns, svc, name string, family discoveryv1.AddressType, addr, node string, ready bool) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: svc + "-" + name,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: family,
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("p0"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)},
			{Name: ptr.To("p1"), Port: ptr.To[int32](8081), Protocol: ptr.To(corev1.ProtocolTCP)},
		},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{addr},
			NodeName:   ptr.To(node),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Serving: ptr.To(ready), Terminating: ptr.To(false)},
		}},
	}
}
