package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// testPods are pods by address; Connect records what it was asked for
// and returns one end of a pipe whose other end is closed.
type testPods struct {
	addrs map[netip.Addr]bool
	mu    sync.Mutex
	last  [2]netip.AddrPort // from (port 0), to
}

var _ Pods = (*testPods)(nil)

func newTestPods(addrs ...string) *testPods {
	p := &testPods{addrs: map[netip.Addr]bool{}}
	for _, a := range addrs {
		p.addrs[netip.MustParseAddr(a)] = true
	}
	return p
}

func (p *testPods) Connect(_ context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error) {
	p.mu.Lock()
	p.last = [2]netip.AddrPort{netip.AddrPortFrom(from, 0), to}
	p.mu.Unlock()
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

func (p *testPods) Has(ip netip.Addr) bool { return p.addrs[ip] }

func (p *testPods) lastConnect() (from netip.Addr, to netip.AddrPort) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[0].Addr(), p.last[1]
}

// startNetwork runs a Network over a fake API holding objs, until tb ends.
func startNetwork(tb testing.TB, pods Pods, objs ...runtime.Object) *Network {
	tb.Helper()
	n, err := New(Config{
		Client:       fake.NewClientset(objs...),
		Domain:       "cluster.local",
		ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")},
		Pods:         pods,
	})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(func() {
		cancel()
		n.Shutdown()
	})
	if err := n.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	return n
}

// testNode is a node with addresses of the given types and pod CIDRs.
func testNode(name string, addrs map[corev1.NodeAddressType][]string, cidrs ...string) *corev1.Node {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDRs: cidrs}}
	if len(cidrs) > 0 {
		node.Spec.PodCIDR = cidrs[0]
	}
	for _, typ := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName} {
		for _, a := range addrs[typ] {
			node.Status.Addresses = append(node.Status.Addresses, corev1.NodeAddress{Type: typ, Address: a})
		}
	}
	return node
}

func testNodes() []runtime.Object {
	return []runtime.Object{
		testNode("a", map[corev1.NodeAddressType][]string{corev1.NodeInternalIP: {"192.168.0.2", "fc00::2"}, corev1.NodeHostName: {"a"}},
			"10.244.0.0/24", "fd00:10:244::/64"),
		testNode("b", map[corev1.NodeAddressType][]string{corev1.NodeInternalIP: {"192.168.0.3", "fc00::3"}},
			"10.244.1.0/24", "fd00:10:244:1::/64"),
		// An unmasked CIDR of another length, and an external address.
		testNode("c", map[corev1.NodeAddressType][]string{corev1.NodeInternalIP: {"192.168.0.4"}, corev1.NodeExternalIP: {"203.0.113.9"}},
			"10.244.2.7/26"),
		// An IP as the hostname: the node's, but no NodePort listens there.
		testNode("d", map[corev1.NodeAddressType][]string{corev1.NodeHostName: {"192.168.0.9"}}),
		// A second claim to a's CIDR: the first name wins.
		testNode("z", nil, "10.244.0.0/25"),
	}
}

func TestNodeOf(t *testing.T) {
	t.Parallel()
	n := startNetwork(t, newTestPods(), testNodes()...)
	for _, tc := range []struct {
		name   string
		ip     string
		node   string
		nodeIP bool
	}{
		{name: "internal IPv4", ip: "192.168.0.2", node: "a", nodeIP: true},
		{name: "internal IPv6", ip: "fc00::3", node: "b", nodeIP: true},
		{name: "external", ip: "203.0.113.9", node: "c", nodeIP: true},
		{name: "hostname", ip: "192.168.0.9", node: "d"},
		{name: "pod IPv4", ip: "10.244.1.200", node: "b"},
		{name: "pod IPv6", ip: "fd00:10:244:1::9", node: "b"},
		{name: "pod in IPv4-mapped IPv6", ip: "::ffff:10.244.1.200", node: "b"},
		{name: "pod of an unmasked CIDR", ip: "10.244.2.63", node: "c"},
		{name: "past a short CIDR", ip: "10.244.2.64"},
		{name: "two claims", ip: "10.244.0.5", node: "a"},
		{name: "pod IPv6 of no node", ip: "fd00:10:244:2::1"},
		{name: "no one's", ip: "10.0.0.1"},
		{name: "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ip netip.Addr
			if tc.ip != "" {
				ip = netip.MustParseAddr(tc.ip)
			}
			if got := n.nodeOf(ip); got != tc.node {
				t.Errorf("nodeOf(%s) = %q, want %q", ip, got, tc.node)
			}
			if got := n.isNodeIP(ip); got != tc.nodeIP {
				t.Errorf("isNodeIP(%s) = %v, want %v", ip, got, tc.nodeIP)
			}
		})
	}
}

// testService is the ClusterIP Service default/name at clusterIP:80 and
// its IPv4 slice of endpoints at :8080 on node b.
func testService(name, clusterIP string, nodePort int32, endpoints ...string) (*corev1.Service, *discoveryv1.EndpointSlice) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, NodePort: nodePort}},
		},
	}
	if nodePort != 0 {
		svc.Spec.Type = corev1.ServiceTypeNodePort
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name + "-abcde",
			Labels: map[string]string{discoveryv1.LabelServiceName: name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, e := range endpoints {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{e},
			NodeName:   ptr.To("b"),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
		})
	}
	return svc, slice
}

func TestDial(t *testing.T) {
	t.Parallel()
	objs := testNodes()
	web, webSlice := testService("web", "10.96.0.10", 30080, "10.244.1.5")
	empty, emptySlice := testService("empty", "10.96.0.11", 0)
	objs = append(objs, web, webSlice, empty, emptySlice)
	pods := newTestPods("10.244.0.5", "10.244.1.5")
	n := startNetwork(t, pods, objs...)
	for _, tc := range []struct {
		name     string
		from, to string
		// want is where the connection arrives, as from (any if "") and to.
		wantFrom, wantTo string
		errno            syscall.Errno
	}{
		{name: "cluster IP", from: "10.244.0.5", to: "10.96.0.10:80", wantFrom: "10.244.0.5", wantTo: "10.244.1.5:8080"},
		{name: "node port of another node", from: "10.244.0.5", to: "192.168.0.4:30080", wantFrom: "192.168.0.4", wantTo: "10.244.1.5:8080"},
		{name: "pod", from: "10.244.0.5", to: "10.244.1.5:8080", wantFrom: "10.244.0.5", wantTo: "10.244.1.5:8080"},
		{name: "from outside", to: "10.96.0.10:80", wantTo: "10.244.1.5:8080"},
		{name: "no endpoints", from: "10.244.0.5", to: "10.96.0.11:80", errno: syscall.ECONNREFUSED},
		{name: "cluster IP's other port", from: "10.244.0.5", to: "10.96.0.10:81", errno: syscall.ECONNREFUSED},
		{name: "node's closed port", from: "10.244.0.5", to: "192.168.0.3:22", errno: syscall.ECONNREFUSED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var from netip.Addr
			if tc.from != "" {
				from = netip.MustParseAddr(tc.from)
			}
			conn, err := n.Dial(t.Context(), from, netip.MustParseAddrPort(tc.to))
			if tc.errno != 0 {
				if !errors.Is(err, tc.errno) {
					t.Fatalf("Dial(%s, %s) = %v, want %v", from, tc.to, err, tc.errno)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial(%s, %s): %v", from, tc.to, err)
			}
			conn.Close()
			gotFrom, gotTo := pods.lastConnect()
			if gotTo != netip.MustParseAddrPort(tc.wantTo) || tc.wantFrom != "" && gotFrom != netip.MustParseAddr(tc.wantFrom) {
				t.Errorf("Dial(%s, %s) reached %s from %s, want %s from %q", from, tc.to, gotTo, gotFrom, tc.wantTo, tc.wantFrom)
			}
		})
	}
}

// BenchmarkDial connects a pod to a Service among 1000, on 100 nodes, and
// to another pod, through the whole Network: the client's node, the
// route, the connection to the fake pod.
func BenchmarkDial(b *testing.B) {
	var objs []runtime.Object
	for i := range 100 {
		objs = append(objs, testNode(fmt.Sprintf("node-%03d", i),
			map[corev1.NodeAddressType][]string{corev1.NodeInternalIP: {fmt.Sprintf("192.168.%d.%d", i/200, i%200+2)}},
			fmt.Sprintf("10.244.%d.0/24", i)))
	}
	for i := range 1000 {
		svc, slice := testService(fmt.Sprintf("svc-%d", i), fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), 0,
			fmt.Sprintf("10.244.1.%d", i%200+2), fmt.Sprintf("10.244.2.%d", i%200+2))
		objs = append(objs, svc, slice)
	}
	pods := newTestPods("10.244.0.5", "10.244.1.2", "10.244.2.2")
	n := startNetwork(b, pods, objs...)
	from := netip.MustParseAddr("10.244.0.5")
	for _, bc := range []struct{ name, to string }{
		{name: "service", to: "10.96.0.1:80"},
		{name: "pod", to: "10.244.1.2:8080"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			to := netip.MustParseAddrPort(bc.to)
			b.ReportAllocs()
			for b.Loop() {
				conn, err := n.Dial(b.Context(), from, to)
				if err != nil {
					b.Fatal(err)
				}
				conn.Close()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dials/s")
		})
	}
}
