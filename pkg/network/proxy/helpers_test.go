package proxy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// plan is one IP family's addresses. Tests name addresses by symbol so
// that one row runs in both families:
//
//	pod:b3  pod 3 on node b      node:b  node b's address
//	cip:7   cluster IP 7         ext:7   external IP 7
//	lb:7    LoadBalancer IP 7    out     a client outside the cluster
//	""      no address (an unknown client)
type plan struct {
	name   string
	family corev1.IPFamily
	// prefixes of each kind of address, completed by a number
	pod, node, cip, ext, lb string
	out                     string
}

var plans = []plan{
	{name: "v4", family: corev1.IPv4Protocol, pod: "10.244.%d.", node: "192.168.0.", cip: "10.96.0.", ext: "203.0.113.", lb: "198.51.100.", out: "198.18.0.1"},
	{name: "v6", family: corev1.IPv6Protocol, pod: "fd00:10:244:%d::", node: "fc00::", cip: "fd00:10:96::", ext: "2001:db8:e::", lb: "2001:db8:1b::", out: "2001:db8:ff::1"},
}

// nodeNames are the simulated nodes, a, b and c.
var nodeNames = []string{"a", "b", "c"}

func (p plan) other() plan {
	if p.family == corev1.IPv4Protocol {
		return plans[1]
	}
	return plans[0]
}

// addr resolves a symbol (see plan). Symbols are constants of the tests,
// so a bad one panics, as netip.MustParseAddr does.
func (p plan) addr(sym string) netip.Addr {
	switch kind, arg, _ := strings.Cut(sym, ":"); kind {
	case "":
		return netip.Addr{}
	case "out":
		return netip.MustParseAddr(p.out)
	case "pod":
		return netip.MustParseAddr(fmt.Sprintf(p.pod, nodeIndex(arg[:1])) + strconv.Itoa(mustAtoi(arg[1:])))
	case "node":
		return netip.MustParseAddr(p.node + strconv.Itoa(nodeIndex(arg)+2))
	case "cip":
		return netip.MustParseAddr(p.cip + strconv.Itoa(mustAtoi(arg)))
	case "ext":
		return netip.MustParseAddr(p.ext + strconv.Itoa(mustAtoi(arg)))
	case "lb":
		return netip.MustParseAddr(p.lb + strconv.Itoa(mustAtoi(arg)))
	}
	panic(fmt.Sprintf("bad address symbol %q", sym))
}

// addrPort resolves "sym:port", the port after the last colon.
func (p plan) addrPort(s string) netip.AddrPort {
	i := strings.LastIndexByte(s, ':')
	return netip.AddrPortFrom(p.addr(s[:i]), uint16(mustAtoi(s[i+1:])))
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func nodeIndex(name string) int {
	for i, n := range nodeNames {
		if n == name {
			return i
		}
	}
	panic(fmt.Sprintf("no node %q", name))
}

// clusterCIDRs hold every pod of both families.
var clusterCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")}

// nodeIPs is each node's address in both families, IPv4 first.
func nodeIPs() map[string][]netip.Addr {
	m := make(map[string][]netip.Addr)
	for _, n := range nodeNames {
		for _, p := range plans {
			m[n] = append(m[n], p.addr("node:"+n))
		}
	}
	return m
}

// svcOpt changes a test Service; it may depend on the family under test.
type svcOpt func(*corev1.Service, plan)

// service is a dual-stack ClusterIP Service "name" with cluster IPs cip:n
// of both families and one port, http: 80 → targetPort "web".
func service(name string, n int, opts ...svcOpt) func(plan) *corev1.Service {
	return func(p plan) *corev1.Service {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.ServiceSpec{
				Type:       corev1.ServiceTypeClusterIP,
				IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
				Ports:      []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("web")}},
			},
		}
		for _, f := range plans {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, fmt.Sprintf("%s%d", f.cip, n))
		}
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
		for _, o := range opts {
			o(svc, p)
		}
		return svc
	}
}

func withType(typ corev1.ServiceType) svcOpt {
	return func(s *corev1.Service, _ plan) { s.Spec.Type = typ }
}

// withNodePort makes the Service a NodePort one on port.
func withNodePort(port int32) svcOpt {
	return func(s *corev1.Service, _ plan) {
		if s.Spec.Type == corev1.ServiceTypeClusterIP {
			s.Spec.Type = corev1.ServiceTypeNodePort
		}
		s.Spec.Ports[0].NodePort = port
	}
}

// withLoadBalancer makes the Service a LoadBalancer one whose ingress is
// lb:n of both families, in mode (nil for unset).
func withLoadBalancer(n int, mode *corev1.LoadBalancerIPMode) svcOpt {
	return func(s *corev1.Service, _ plan) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		for _, f := range plans {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: fmt.Sprintf("%s%d", f.lb, n), IPMode: mode})
		}
	}
}

func withExternalIP(n int) svcOpt {
	return func(s *corev1.Service, _ plan) {
		for _, f := range plans {
			s.Spec.ExternalIPs = append(s.Spec.ExternalIPs, fmt.Sprintf("%s%d", f.ext, n))
		}
	}
}

func withExternalLocal() svcOpt {
	return func(s *corev1.Service, _ plan) {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}
}

func withInternalLocal() svcOpt {
	return func(s *corev1.Service, _ plan) {
		s.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyLocal)
	}
}

// withAffinity sets sessionAffinity ClientIP, with timeoutSeconds unless 0.
func withAffinity(seconds int32) svcOpt {
	return func(s *corev1.Service, _ plan) {
		s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		if seconds != 0 {
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To(seconds)}}
		}
	}
}

// withSourceRanges sets loadBalancerSourceRanges to "sym/bits" of both
// families' plans, e.g. "out/24" and "out/64".
func withSourceRanges(v4, v6 string) svcOpt {
	return func(s *corev1.Service, _ plan) {
		for i, r := range []string{v4, v6} {
			sym, bits, _ := strings.Cut(r, "/")
			s.Spec.LoadBalancerSourceRanges = append(s.Spec.LoadBalancerSourceRanges, plans[i].addr(sym).String()+"/"+bits)
		}
	}
}

// withOnlyOtherFamily leaves the Service single-stack in the family not
// under test.
func withOnlyOtherFamily() svcOpt {
	return func(s *corev1.Service, p plan) {
		o := p.other()
		i := 0
		if o.family == corev1.IPv6Protocol {
			i = 1
		}
		s.Spec.IPFamilies = []corev1.IPFamily{o.family}
		s.Spec.ClusterIPs = []string{s.Spec.ClusterIPs[i]}
		s.Spec.ClusterIP = s.Spec.ClusterIPs[0]
	}
}

func withPorts(ports ...corev1.ServicePort) svcOpt {
	return func(s *corev1.Service, _ plan) { s.Spec.Ports = ports }
}

func withLabel(k, v string) svcOpt {
	return func(s *corev1.Service, _ plan) { s.Labels = map[string]string{k: v} }
}

// ep is an endpoint by its pod's symbol ("b3": pod:b3 on node b).
type ep struct {
	pod   string
	state state
	// hints are node names for trafficDistribution PreferSameNode.
	hints []string
	// noNode leaves nodeName unset.
	noNode bool
}

type state int

const (
	ready state = iota
	unready
	terminatingServing
	terminatingNotServing
)

// slicePorts is the name → number of a test slice's ports.
type slicePorts map[string]int32

// endpointSlices are the EndpointSlices of both families for service svc,
// with ports and endpoints eps, named svc-v4-<i> and svc-v6-<i>.
func endpointSlices(svc string, i int, ports slicePorts, eps ...ep) []runtime.Object {
	var out []runtime.Object
	for _, p := range plans {
		s := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: "default", Name: fmt.Sprintf("%s-%s-%d", svc, p.name, i),
				Labels: map[string]string{discoveryv1.LabelServiceName: svc},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
		}
		if p.family == corev1.IPv6Protocol {
			s.AddressType = discoveryv1.AddressTypeIPv6
		}
		for name, n := range ports {
			s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(n), Protocol: ptr.To(corev1.ProtocolTCP)})
		}
		for _, e := range eps {
			d := discoveryv1.Endpoint{Addresses: []string{p.addr("pod:" + e.pod).String()}}
			if !e.noNode {
				d.NodeName = ptr.To(e.pod[:1])
			}
			switch e.state {
			case ready:
				d.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)}
			case unready:
				d.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(false)}
			case terminatingServing:
				d.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(true), Terminating: ptr.To(true)}
			case terminatingNotServing:
				d.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(true)}
			}
			if len(e.hints) > 0 {
				d.Hints = &discoveryv1.EndpointHints{}
				for _, h := range e.hints {
					d.Hints.ForNodes = append(d.Hints.ForNodes, discoveryv1.ForNode{Name: h})
				}
			}
			s.Endpoints = append(s.Endpoints, d)
		}
		out = append(out, s)
	}
	return out
}

// api holds objects in indexers as informers would, with the Table's
// indexes, for listers and the Table to read.
type api struct{ services, slices cache.Indexer }

func newAPI(t testing.TB, objs ...runtime.Object) *api {
	t.Helper()
	newIndexer := func(extra cache.Indexers) cache.Indexer {
		i := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		if err := i.AddIndexers(extra); err != nil {
			t.Fatal(err)
		}
		return i
	}
	a := &api{services: newIndexer(ServiceIndexers()), slices: newIndexer(EndpointSliceIndexers())}
	for _, o := range objs {
		a.add(t, o)
	}
	return a
}

// add adds or replaces o.
func (a *api) add(t testing.TB, o runtime.Object) {
	t.Helper()
	var err error
	switch o := o.(type) {
	case *corev1.Service:
		err = a.services.Update(o)
	case *discoveryv1.EndpointSlice:
		err = a.slices.Update(o)
	default:
		t.Fatalf("unexpected object %T", o)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// config is a Config over a's indexes, the test nodes and cluster CIDRs,
// drawing rnd, as pkg/network configures a Table.
func (a *api) config(rnd func(int) int) Config {
	cfg := a.listerConfig(rnd)
	cfg.ServiceIndex, cfg.EndpointSliceIndex = a.services, a.slices
	return cfg
}

// listerConfig is config without the indexes: a Table that lists every
// Service, the slow and obvious reference the indexed one must agree
// with.
func (a *api) listerConfig(rnd func(int) int) Config {
	return Config{
		Services:       corelisters.NewServiceLister(a.services),
		EndpointSlices: discoverylisters.NewEndpointSliceLister(a.slices),
		NodeIPs:        nodeIPs,
		ClusterCIDRs:   clusterCIDRs,
		Rand:           rnd,
	}
}

// sequence returns 0, 1, 2, ... modulo each call's n.
func sequence() func(int) int {
	i := 0
	return func(n int) int {
		i++
		return (i - 1) % n
	}
}
