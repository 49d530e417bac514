package dns

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// testSerial replaces the SOA serial, a clock reading, in tests.
const testSerial = 42

// newTestServer serves objs (Namespaces, Services and EndpointSlices) for
// cluster.local, from listers over indexers as informers fill them.
func newTestServer(tb testing.TB, objs ...runtime.Object) *Server {
	tb.Helper()
	newIndexer := func() cache.Indexer {
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	namespaces, services, slices := newIndexer(), newIndexer(), newIndexer()
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *corev1.Namespace:
			err = namespaces.Add(o)
		case *corev1.Service:
			err = services.Add(o)
		case *discoveryv1.EndpointSlice:
			err = slices.Add(o)
		default:
			tb.Fatalf("no lister for %T", o)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	s := New(Config{
		Domain:         "cluster.local",
		Services:       corelisters.NewServiceLister(services),
		EndpointSlices: discoverylisters.NewEndpointSliceLister(slices),
		Namespaces:     corelisters.NewNamespaceLister(namespaces),
	})
	s.serial.Store(testSerial)
	return s
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// service is a ClusterIP Service with clusterIPs (one of which may be
// "None" for a headless one).
func service(ns, name string, clusterIPs []string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  clusterIPs[0],
			ClusterIPs: clusterIPs,
			Ports:      ports,
		},
	}
}

func externalName(ns, name, target string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: target},
	}
}

func servicePort(name string, protocol corev1.Protocol, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: protocol, Port: port}
}

// endpointSlice is a slice of Service svc, of the family of its first
// endpoint's address.
func endpointSlice(ns, name, svc string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	family := discoveryv1.AddressTypeIPv4
	if len(eps) > 0 && strings.Contains(eps[0].Addresses[0], ":") {
		family = discoveryv1.AddressTypeIPv6
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: family,
		Endpoints:   eps,
		Ports:       ports,
	}
}

func slicePort(name string, protocol corev1.Protocol, port int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Protocol: ptr.To(protocol), Port: ptr.To(port)}
}

// endpoint is a ready endpoint with hostname (none if empty).
func endpoint(addr, hostname string) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}
	if hostname != "" {
		ep.Hostname = ptr.To(hostname)
	}
	return ep
}

func withReady(ep discoveryv1.Endpoint, ready *bool) discoveryv1.Endpoint {
	ep.Conditions.Ready = ready
	return ep
}

// reply is the part of a reply message that tests compare: records as
// text, whitespace collapsed.
type reply struct {
	Rcode             string
	Authoritative     bool
	Truncated         bool
	Answer, Ns, Extra []string
}

func replyOf(m *dns.Msg) reply {
	return reply{
		Rcode:         dns.RcodeToString[m.Rcode],
		Authoritative: m.Authoritative,
		Truncated:     m.Truncated,
		Answer:        texts(m.Answer),
		Ns:            texts(m.Ns),
		Extra:         texts(m.Extra),
	}
}

func texts(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return out
}

func question(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// reverse is the PTR name of ip.
func reverse(tb testing.TB, ip string) string {
	tb.Helper()
	name, err := dns.ReverseAddr(ip)
	if err != nil {
		tb.Fatal(err)
	}
	return name
}
