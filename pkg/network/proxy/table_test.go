package proxy

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// fixed is a Rand that always draws i.
func fixed(i int) func(int) int { return func(int) int { return i } }

// want is an expected Route in address symbols (see plan).
type want struct {
	port     string
	node     string
	endpoint string // "sym:port"
	epNode   string
	source   string
}

func (w want) route(p plan) Route {
	return Route{
		Service:      types.NamespacedName{Namespace: "default", Name: "web"},
		Port:         w.port,
		Node:         w.node,
		Endpoint:     p.addrPort(w.endpoint),
		EndpointNode: w.epNode,
		Source:       p.addr(w.source),
	}
}

type routeCase struct {
	name  string
	svcs  []func(plan) *corev1.Service
	objs  []runtime.Object
	rand  func(int) int // default fixed(0)
	noPod bool          // configure no cluster CIDRs
	// onlyOther keeps only the slices of the family not under test.
	onlyOther      bool
	from, fromNode string
	to             string
	want           want
	wantErr        error // ErrNoService, ErrRefused or ErrDropped
}

var http8080 = slicePorts{"http": 8080}

func TestRoute(t *testing.T) {
	t.Parallel()
	web := service("web", 10)
	nodePort := service("web", 10, withNodePort(30080))
	nodePortLocal := service("web", 10, withNodePort(30080), withExternalLocal())
	lb := service("web", 10, withLoadBalancer(1, ptr.To(corev1.LoadBalancerIPModeVIP)))
	lbLocal := service("web", 10, withLoadBalancer(1, nil), withExternalLocal())
	cases := []routeCase{
		// Cluster IPs and ports.
		{
			name: "cluster IP to a ready endpoint keeps the pod's address",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "cluster IP does not reach endpoints of the other family",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}), onlyOther: true,
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrRefused,
		},
		{
			name: "numeric targetPort of an unnamed port is the unnamed slice port",
			svcs: svcs(service("web", 10, withPorts(corev1.ServicePort{Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(9090)}))),
			objs: endpointSlices("web", 0, slicePorts{"": 9090}, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "", node: "a", endpoint: "pod:b1:9090", epNode: "b", source: "pod:a1"},
		},
		{
			name: "second port goes to the slice port of its name",
			svcs: svcs(service("web", 10, withPorts(
				corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("web")},
				corev1.ServicePort{Name: "metrics", Protocol: corev1.ProtocolTCP, Port: 9100, TargetPort: intstr.FromInt32(9102)}))),
			objs: endpointSlices("web", 0, slicePorts{"http": 8080, "metrics": 9102}, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:9100",
			want: want{port: "metrics", node: "a", endpoint: "pod:b1:9102", epNode: "b", source: "pod:a1"},
		},
		{
			name: "UDP port is not a TCP port",
			svcs: svcs(service("web", 10, withPorts(corev1.ServicePort{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53}))),
			objs: endpointSlices("web", 0, slicePorts{"dns": 53}, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:53", wantErr: ErrRefused,
		},
		{
			name: "slice port of another name is not the Service port's",
			svcs: svcs(web), objs: endpointSlices("web", 0, slicePorts{"https": 8443}, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrRefused,
		},
		{
			name: "cluster IP without the port is refused",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:81", wantErr: ErrRefused,
		},
		{
			name: "no endpoint slices is refused",
			svcs: svcs(web),
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrRefused,
		},
		{
			name: "slices of other Services are not the Service's",
			svcs: svcs(web, service("other", 11)),
			objs: append(endpointSlices("other", 0, http8080, ep{pod: "a9"}), endpointSlices("web", 0, http8080, ep{pod: "b1"})...),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "an endpoint in two slices counts once",
			svcs: svcs(web), rand: fixed(1),
			objs: append(endpointSlices("web", 0, http8080, ep{pod: "b1"}), endpointSlices("web", 1, http8080, ep{pod: "b1"}, ep{pod: "b2"})...),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b2:8080", epNode: "b", source: "pod:a1"},
		},
		// Endpoint conditions.
		{
			name: "unready endpoints are skipped",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1", state: unready}, ep{pod: "b2"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b2:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "only unready endpoints is refused",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1", state: unready}, ep{pod: "b2", state: terminatingNotServing}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrRefused,
		},
		{
			name: "serving terminating endpoints are used when none is ready",
			svcs: svcs(web),
			objs: endpointSlices("web", 0, http8080, ep{pod: "b1", state: terminatingNotServing}, ep{pod: "b2", state: terminatingServing}, ep{pod: "b3", state: unready}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b2:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "ready endpoints are preferred to terminating ones",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1", state: terminatingServing}, ep{pod: "b2"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b2:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "an endpoint without nodeName is on no node",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1", noNode: true}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "", source: "pod:a1"},
		},
		// internalTrafficPolicy.
		{
			name: "internalTrafficPolicy Local uses the client's node's endpoints",
			svcs: svcs(service("web", 10, withInternalLocal())), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}, ep{pod: "b1"}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "pod:b2"},
		},
		{
			name: "internalTrafficPolicy Local with no endpoint on the node is dropped",
			svcs: svcs(service("web", 10, withInternalLocal())), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80", wantErr: ErrDropped,
		},
		{
			name: "internalTrafficPolicy Local never uses an endpoint without nodeName",
			svcs: svcs(service("web", 10, withInternalLocal())), objs: endpointSlices("web", 0, http8080, ep{pod: "b1", noNode: true}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80", wantErr: ErrDropped,
		},
		{
			name: "internalTrafficPolicy Local falls back to the node's terminating endpoints",
			svcs: svcs(service("web", 10, withInternalLocal())),
			objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}, ep{pod: "b1", state: terminatingServing}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "pod:b2"},
		},
		// Masquerade of cluster IP traffic.
		{
			name: "cluster IP from outside is masqueraded by the node it reaches",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "cluster IP from outside keeps its source when pods are unknown",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}), noPod: true,
			from: "out", to: "cip:10:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "out"},
		},
		{
			name: "a pod reaching itself is masqueraded (hairpin)",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:b1", fromNode: "b", to: "cip:10:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "node:b"},
		},
		// trafficDistribution PreferSameNode.
		{
			name: "node hints narrow to the client's node",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "a1", hints: []string{"a"}}, ep{pod: "b1", hints: []string{"b"}}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "pod:b2"},
		},
		{
			name: "node hints are ignored unless every ready endpoint has some",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}, ep{pod: "b1", hints: []string{"b"}}),
			from: "pod:b2", fromNode: "b", to: "cip:10:80",
			want: want{port: "http", node: "b", endpoint: "pod:a1:8080", epNode: "a", source: "pod:b2"},
		},
		{
			name: "node hints for other nodes only are ignored",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "a1", hints: []string{"a"}}, ep{pod: "b1", hints: []string{"b"}}),
			from: "pod:c2", fromNode: "c", to: "cip:10:80",
			want: want{port: "http", node: "c", endpoint: "pod:a1:8080", epNode: "a", source: "pod:c2"},
		},
		// NodePorts.
		{
			name: "NodePort on node a from outside is masqueraded by node a",
			svcs: svcs(nodePort), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "node:a:30080",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "NodePort on node b from outside is masqueraded by node b",
			svcs: svcs(nodePort), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "node:b:30080",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "node:b"},
		},
		{
			name: "NodePort from a pod on another node is masqueraded by the port's node",
			svcs: svcs(nodePort), objs: endpointSlices("web", 0, http8080, ep{pod: "a5"}),
			from: "pod:a1", fromNode: "a", to: "node:c:30080",
			want: want{port: "http", node: "c", endpoint: "pod:a5:8080", epNode: "a", source: "node:c"},
		},
		{
			name: "NodePort with externalTrafficPolicy Local keeps the client and uses the node's endpoints",
			svcs: svcs(nodePortLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}, ep{pod: "b1"}),
			from: "out", to: "node:b:30080",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "out"},
		},
		{
			name: "NodePort with externalTrafficPolicy Local and no endpoint on the node is dropped",
			svcs: svcs(nodePortLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}),
			from: "out", to: "node:c:30080", wantErr: ErrDropped,
		},
		{
			name: "NodePort with externalTrafficPolicy Local from a pod is short-circuited",
			svcs: svcs(nodePortLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}),
			from: "pod:c1", fromNode: "c", to: "node:c:30080",
			want: want{port: "http", node: "c", endpoint: "pod:a1:8080", epNode: "a", source: "pod:c1"},
		},
		{
			name: "NodePort with externalTrafficPolicy Local from its own node is short-circuited",
			svcs: svcs(nodePortLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}),
			from: "node:c", fromNode: "c", to: "node:c:30080",
			want: want{port: "http", node: "c", endpoint: "pod:a1:8080", epNode: "a", source: "node:c"},
		},
		{
			name: "NodePort with externalTrafficPolicy Local from another node is external",
			svcs: svcs(nodePortLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1"}, ep{pod: "b1"}),
			from: "node:a", fromNode: "a", to: "node:b:30080",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "NodePort with no endpoints is refused",
			svcs: svcs(nodePort),
			from: "out", to: "node:a:30080", wantErr: ErrRefused,
		},
		{
			name: "NodePort of a Service of the other family only is not captured",
			svcs: svcs(service("web", 10, withNodePort(30080), withOnlyOtherFamily())), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "node:a:30080", wantErr: ErrNoService,
		},
		{
			name: "an unknown node port is not a Service's",
			svcs: svcs(nodePort), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "node:a:30081", wantErr: ErrNoService,
		},
		// LoadBalancer IPs.
		{
			name: "LoadBalancer IP from outside is masqueraded by the node it reaches",
			svcs: svcs(lb), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "lb:1:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "LoadBalancer IP from a pod is handled and masqueraded on the pod's node",
			svcs: svcs(lb), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:c1", fromNode: "c", to: "lb:1:80",
			want: want{port: "http", node: "c", endpoint: "pod:b1:8080", epNode: "b", source: "node:c"},
		},
		{
			name: "LoadBalancer IP with externalTrafficPolicy Local reaches a node with a ready endpoint",
			svcs: svcs(lbLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1", state: unready}, ep{pod: "b1"}),
			from: "out", to: "lb:1:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "out"},
		},
		{
			name: "LoadBalancer IP with externalTrafficPolicy Local from a pod is short-circuited",
			svcs: svcs(lbLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "lb:1:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "pod:a1"},
		},
		{
			name: "LoadBalancer IP with externalTrafficPolicy Local and only terminating endpoints uses the receiving node's",
			svcs: svcs(lbLocal), objs: endpointSlices("web", 0, http8080, ep{pod: "a1", state: terminatingServing}),
			from: "out", to: "lb:1:80",
			want: want{port: "http", node: "a", endpoint: "pod:a1:8080", epNode: "a", source: "out"},
		},
		{
			name: "LoadBalancer IP of ipMode Proxy is not captured",
			svcs: svcs(service("web", 10, withLoadBalancer(1, ptr.To(corev1.LoadBalancerIPModeProxy)))), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "lb:1:80", wantErr: ErrNoService,
		},
		{
			name: "LoadBalancer IP without the port is not captured",
			svcs: svcs(lb), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "lb:1:81", wantErr: ErrNoService,
		},
		{
			name: "loadBalancerSourceRanges admit their sources",
			svcs: svcs(service("web", 10, withLoadBalancer(1, nil), withSourceRanges("out/24", "out/64"))),
			objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "lb:1:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "loadBalancerSourceRanges drop other sources, pods too",
			svcs: svcs(service("web", 10, withLoadBalancer(1, nil), withSourceRanges("out/24", "out/64"))),
			objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "lb:1:80", wantErr: ErrDropped,
		},
		// External IPs.
		{
			name: "external IP from a pod is masqueraded on the pod's node",
			svcs: svcs(service("web", 10, withExternalIP(1))), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "ext:1:80",
			want: want{port: "http", node: "a", endpoint: "pod:b1:8080", epNode: "b", source: "node:a"},
		},
		{
			name: "external IP with externalTrafficPolicy Local from outside keeps the client",
			svcs: svcs(service("web", 10, withExternalIP(1), withExternalLocal())), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "out", to: "ext:1:80",
			want: want{port: "http", node: "b", endpoint: "pod:b1:8080", epNode: "b", source: "out"},
		},
		{
			name: "external IP without the port is not captured",
			svcs: svcs(service("web", 10, withExternalIP(1))), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "ext:1:81", wantErr: ErrNoService,
		},
		// Addresses that are no Service's.
		{
			name: "a pod's address is no Service's",
			svcs: svcs(web), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "pod:b1:8080", wantErr: ErrNoService,
		},
		{
			name: "an ExternalName Service has no virtual address",
			svcs: svcs(service("web", 10, withType(corev1.ServiceTypeExternalName))), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrNoService,
		},
		{
			name: "a Service of another proxy is not kube-proxy's",
			svcs: svcs(service("web", 10, withLabel(labelServiceProxyName, "other"))), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
			from: "pod:a1", fromNode: "a", to: "cip:10:80", wantErr: ErrNoService,
		},
	}
	for _, p := range plans {
		for _, tc := range cases {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				tc.run(t, p)
			})
		}
	}
}

func TestRouteHeadless(t *testing.T) {
	t.Parallel()
	for _, p := range plans {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			headless := func(s *corev1.Service, _ plan) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
			}
			tc := routeCase{
				svcs: svcs(service("web", 10, headless)), objs: endpointSlices("web", 0, http8080, ep{pod: "b1"}),
				from: "pod:a1", fromNode: "a", to: "pod:b1:8080", wantErr: ErrNoService,
			}
			tc.run(t, p)
		})
	}
}

func svcs(fs ...func(plan) *corev1.Service) []func(plan) *corev1.Service { return fs }

func (tc routeCase) run(t *testing.T, p plan) {
	t.Helper()
	objs := make([]runtime.Object, 0, len(tc.svcs)+len(tc.objs))
	for _, f := range tc.svcs {
		objs = append(objs, f(p))
	}
	for _, o := range tc.objs {
		if s, ok := o.(*discoveryv1.EndpointSlice); ok && tc.onlyOther && (s.AddressType == discoveryv1.AddressTypeIPv6) == (p.family == corev1.IPv6Protocol) {
			continue
		}
		objs = append(objs, o)
	}
	if tc.rand == nil {
		tc.rand = fixed(0)
	}
	a := newAPI(t, objs...)
	for _, mode := range []struct {
		name string
		cfg  Config
	}{
		{name: "indexed", cfg: a.config(tc.rand)},
		{name: "listed", cfg: a.listerConfig(tc.rand)},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg := mode.cfg
			if tc.noPod {
				cfg.ClusterCIDRs = nil
			}
			tc.check(t, p, New(cfg))
		})
	}
}

// check routes tc's connection through table and compares.
func (tc routeCase) check(t *testing.T, p plan, table *Table) {
	t.Helper()
	to := p.addrPort(tc.to)
	got, err := table.Route(p.addr(tc.from), tc.fromNode, to)
	if tc.wantErr != nil {
		if !errors.Is(err, tc.wantErr) {
			t.Fatalf("Route(%s, %q, %s) = %+v, %v; want error %v", p.addr(tc.from), tc.fromNode, to, got, err, tc.wantErr)
		}
		var e *Error
		if tc.wantErr != ErrNoService && (!errors.As(err, &e) || e.Service.Name != "web" || e.To != to) {
			t.Errorf("Route error %v does not name Service default/web and %s", err, to)
		}
		return
	}
	if err != nil {
		t.Fatalf("Route(%s, %q, %s): %v", p.addr(tc.from), tc.fromNode, to, err)
	}
	if diff := cmp.Diff(tc.want.route(p), got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("Route(%s, %q, %s) (-want +got):\n%s", p.addr(tc.from), tc.fromNode, to, diff)
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	p := plans[0]
	table := New(newAPI(t, service("web", 10, withInternalLocal())(p)).config(fixed(0)))
	_, err := table.Route(p.addr("pod:a1"), "a", p.addrPort("cip:10:80"))
	if want := `10.96.0.10:80: service default/web port "http": no ready or serving-terminating endpoints: rejected`; err == nil || err.Error() != want {
		t.Errorf("refused: %v, want %s", err, want)
	}
	table = New(newAPI(t, append(endpointSlices("web", 0, http8080, ep{pod: "b1"}), service("web", 10, withInternalLocal())(p))...).config(fixed(0)))
	_, err = table.Route(p.addr("pod:a1"), "a", p.addrPort("cip:10:80"))
	if want := `10.96.0.10:80: service default/web port "http": cluster IP internalTrafficPolicy is Local and node "a" has no endpoint: dropped`; err == nil || err.Error() != want {
		t.Errorf("dropped: %v, want %s", err, want)
	}
}
