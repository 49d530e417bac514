package proxy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Config is what a Table reads. The listers (or indexes) and NodeIPs are
// read on every Route, so that a Table keeps no copy of the cluster that
// could lag behind the informers' caches.
type Config struct {
	// Services and EndpointSlices are the informers' listers, unfiltered
	// (the Table applies kube-proxy's label selector itself). They are
	// required unless the matching index below is set.
	Services       corelisters.ServiceLister
	EndpointSlices discoverylisters.EndpointSliceLister
	// ServiceIndex and EndpointSliceIndex, optional, are the informers'
	// indexers (the stores behind the listers) with ServiceIndexers and
	// EndpointSliceIndexers added. With them, a Route reads only the
	// Services at its destination's address or node port and the slices
	// of the Service it reached, so that its cost does not grow with the
	// cluster's Services; without, it lists every Service, and every
	// slice of the Service's namespace.
	ServiceIndex       cache.Indexer
	EndpointSliceIndex cache.Indexer
	// NodeIPs returns every node's addresses by node name. NodePorts
	// listen on all of them; a masqueraded connection leaves from the
	// node's first address of its family.
	NodeIPs func() map[string][]netip.Addr
	// ClusterCIDRs are the pod network: kube-proxy's --cluster-cidr, by
	// which its default local-traffic detector tells pods from other
	// sources. With none, it cannot, and masquerades only what it always
	// does.
	ClusterCIDRs []netip.Prefix
	// Rand returns a uniform int in [0, n), as nftables' "numgen random"
	// and iptables' statistic match draw one (default math/rand/v2's IntN).
	// Concurrent Routes call it concurrently.
	Rand func(n int) int
	// Clock times session affinity (default the real clock).
	Clock clock.PassiveClock
}

// Table routes connections to virtual addresses as kube-proxy's rules on
// every node would. It is safe for concurrent use.
type Table struct {
	cfg      Config
	affinity *affinity
}

// New returns a Table over cfg.
func New(cfg Config) *Table {
	if cfg.Rand == nil {
		cfg.Rand = rand.IntN
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Table{cfg: cfg, affinity: newAffinity(maxAffinity)}
}

// Route is where kube-proxy sends one connection.
type Route struct {
	// Service and Port name the Service port the destination is.
	Service types.NamespacedName
	Port    string
	// Node is the node whose rules handled the connection: the client's
	// for a cluster, external or LoadBalancer IP; the owner of the address
	// for a NodePort; for a client outside the cluster, the node its
	// route or load balancer delivered it to. "" if there was none.
	Node string
	// Endpoint is the address the connection is DNATed to, and
	// EndpointNode its nodeName ("" if its slice names none).
	Endpoint     netip.AddrPort
	EndpointNode string
	// Source is the client address the endpoint sees: the client's own, or
	// Node's address when kube-proxy masquerades the connection.
	Source netip.Addr
}

// Route says where a TCP connection from from to to goes. fromNode is the
// node the client runs on (a pod's or a host-network process's), "" for a
// client outside the cluster; from may then be invalid, for a client
// whose address does not matter.
//
// It returns ErrNoService when kube-proxy leaves to alone, and an *Error
// wrapping ErrRefused or ErrDropped when its rules reject or drop the
// connection.
func (t *Table) Route(from netip.Addr, fromNode string, to netip.AddrPort) (Route, error) {
	from = from.Unmap()
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	is6 := to.Addr().Is6()
	nodes := &nodeAddrs{get: t.cfg.NodeIPs}
	tg, err := t.find(to, nodes)
	if err != nil {
		return Route{}, err
	}
	fail := func(verdict error, reason string) (Route, error) {
		return Route{}, &Error{To: to, Service: key(tg.svc), Port: tg.port.Name, Reason: reason, Err: verdict}
	}
	if tg.via == viaLoadBalancer && !sourceAllowed(tg.svc, from, is6) {
		return fail(ErrDropped, fmt.Sprintf("source %s not in loadBalancerSourceRanges", from))
	}
	eps, err := t.endpoints(tg.svc, tg.port, is6)
	if err != nil {
		return Route{}, err
	}
	if !anyUsable(eps) {
		return fail(ErrRefused, "no ready or serving-terminating endpoints")
	}
	node := t.receiver(tg, fromNode, eps, nodes, is6)
	cands, masq, policy := t.chain(tg, from, node, eps, nodes)
	if len(cands) == 0 {
		return fail(ErrDropped, fmt.Sprintf("%s %s is Local and node %q has no endpoint", tg.via, policy, node))
	}
	ep := t.pick(tg, from, node, cands)
	src := from
	// kube-proxy also masquerades a connection that comes back to its own
	// client (hairpin), which would otherwise answer itself directly.
	if masq || ep.addr.Addr() == from {
		if a, ok := nodes.addr(node, is6); ok {
			src = a
		}
	}
	return Route{Service: key(tg.svc), Port: tg.port.Name, Node: node, Endpoint: ep.addr, EndpointNode: ep.node, Source: src}, nil
}

// receiver is the node whose rules handle the connection. A NodePort is
// handled where its address is: the client's node captures only its own
// addresses ("fib daddr type local"). Other virtual addresses are captured
// on the client's node. Traffic from outside arrives at a node of the
// network's choosing, any node, except that a load balancer sends an
// externalTrafficPolicy Local Service's traffic only to nodes whose health
// check reports ready endpoints, while there are some.
func (t *Table) receiver(tg target, fromNode string, eps []endpoint, nodes *nodeAddrs, is6 bool) string {
	switch {
	case tg.via == viaNodePort:
		return tg.node
	case fromNode != "":
		return fromNode
	case tg.via != viaClusterIP && externalPolicyLocal(tg.svc):
		if healthy := readyNodes(eps, nodes, is6); len(healthy) > 0 {
			return healthy[t.cfg.Rand(len(healthy))]
		}
	}
	all := nodes.names(is6)
	if len(all) == 0 {
		return ""
	}
	return all[t.cfg.Rand(len(all))]
}

// chain is the policy chain node's rules send the connection through, as
// nftables/proxier.go writes them: its endpoints, whether it is marked for
// masquerade, and the name of the traffic policy that made it Local ("" if
// Cluster). A cluster IP follows internalTrafficPolicy and masquerades
// what does not come from the pod network. The other addresses follow
// externalTrafficPolicy: Cluster masquerades everything, since the
// endpoint may be on another node; Local keeps the client's address and
// uses node's endpoints only, except for traffic from pods and from the
// node itself, which is short-circuited to the Cluster endpoints as if it
// had gone out to a load balancer and come back (the node's own is
// masqueraded, its source being a local address).
func (t *Table) chain(tg target, from netip.Addr, node string, eps []endpoint, nodes *nodeAddrs) (cands []endpoint, masq bool, policy string) {
	if tg.via == viaClusterIP {
		masq = len(t.cfg.ClusterCIDRs) > 0 && !t.fromPod(from)
		if internalPolicyLocal(tg.svc) {
			return localEndpoints(eps, node), masq, "internalTrafficPolicy"
		}
		return clusterEndpoints(eps, node), masq, ""
	}
	switch {
	case !externalPolicyLocal(tg.svc):
		return clusterEndpoints(eps, node), true, ""
	case t.fromPod(from):
		return clusterEndpoints(eps, node), false, ""
	case nodes.has(node, from):
		return clusterEndpoints(eps, node), true, ""
	}
	return localEndpoints(eps, node), false, "externalTrafficPolicy"
}

// pick chooses one of cands at random, or by sessionAffinity ClientIP.
func (t *Table) pick(tg target, from netip.Addr, node string, cands []endpoint) endpoint {
	if tg.svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		return cands[t.cfg.Rand(len(cands))]
	}
	timeout := corev1.DefaultClientIPServiceAffinitySeconds
	if c := tg.svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
		timeout = *c.ClientIP.TimeoutSeconds
	}
	// Clients of unknown address (from invalid) are one client, as the
	// API server proxying from its one address would be.
	k := affinityKey{svc: key(tg.svc), port: tg.port.Name, node: node, client: from}
	return t.affinity.pick(k, cands, time.Duration(timeout)*time.Second, t.cfg.Clock.Now(), t.cfg.Rand)
}

// fromPod is kube-proxy's local-traffic detector by cluster CIDR.
func (t *Table) fromPod(ip netip.Addr) bool {
	for _, p := range t.cfg.ClusterCIDRs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// anyUsable is CategorizeEndpoints' hasAnyEndpoints: false makes every
// address of the Service port reject.
func anyUsable(eps []endpoint) bool {
	for _, e := range eps {
		if e.usable() {
			return true
		}
	}
	return false
}

// externalPolicyLocal and internalPolicyLocal are the traffic policies as
// pkg/api/v1/service reads them: externalTrafficPolicy counts only for a
// Service reachable from outside.
func externalPolicyLocal(svc *corev1.Service) bool {
	reachable := svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer ||
		svc.Spec.Type == corev1.ServiceTypeClusterIP && len(svc.Spec.ExternalIPs) > 0
	return reachable && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func internalPolicyLocal(svc *corev1.Service) bool {
	p := svc.Spec.InternalTrafficPolicy
	return p != nil && *p == corev1.ServiceInternalTrafficPolicyLocal
}

func key(svc *corev1.Service) types.NamespacedName {
	return types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
}
