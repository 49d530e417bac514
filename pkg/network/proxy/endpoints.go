package proxy

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpoint is one address and port of a Service port, with what
// kube-proxy's EndpointSliceCache keeps of it (endpointslicecache.go).
type endpoint struct {
	addr                        netip.AddrPort
	node                        string
	ready, serving, terminating bool
	hints                       *discoveryv1.EndpointHints
}

// endpoints lists port's endpoints of the family, sorted by address, as
// the family's proxier merges them: from every slice labelled with the
// Service's name whose addressType is the family, the first address of
// each endpoint, at the number of the slice port named as the Service
// port. The Service's targetPort plays no part: the EndpointSlice
// controller resolved it (a name, pod by pod) into that number.
func (t *Table) endpoints(svc *corev1.Service, port *corev1.ServicePort, is6 bool) ([]endpoint, error) {
	list, err := t.slicesOf(key(svc))
	if err != nil {
		return nil, err
	}
	family := discoveryv1.AddressTypeIPv4
	if is6 {
		family = discoveryv1.AddressTypeIPv6
	}
	var eps []endpoint
	for _, s := range list {
		_, other := s.Labels[labelServiceProxyName]
		_, headless := s.Labels[corev1.IsHeadlessService]
		if s.AddressType != family || other || headless {
			continue
		}
		n := slicePort(s, port.Name)
		if n == 0 {
			continue
		}
		for i := range s.Endpoints {
			e := &s.Endpoints[i]
			if len(e.Addresses) == 0 {
				continue
			}
			a := parseAddr(e.Addresses[0])
			if !a.IsValid() || a.Is6() != is6 {
				continue
			}
			ep := endpoint{
				addr:        netip.AddrPortFrom(a, n),
				ready:       e.Conditions.Ready == nil || *e.Conditions.Ready,
				serving:     e.Conditions.Serving == nil || *e.Conditions.Serving,
				terminating: e.Conditions.Terminating != nil && *e.Conditions.Terminating,
				hints:       e.Hints,
			}
			if e.NodeName != nil {
				ep.node = *e.NodeName
			}
			eps = append(eps, ep)
		}
	}
	// An endpoint moving between slices is briefly in both: keep one.
	slices.SortStableFunc(eps, func(a, b endpoint) int { return a.addr.Compare(b.addr) })
	return slices.CompactFunc(eps, func(a, b endpoint) bool { return a.addr == b.addr }), nil
}

// slicePort is the number of s's TCP port named name, or 0: a port with
// no name or number is ignored, as by kube-proxy.
func slicePort(s *discoveryv1.EndpointSlice, name string) uint16 {
	for _, p := range s.Ports {
		if p.Name == nil || *p.Name != name || p.Port == nil || *p.Port <= 0 || *p.Port > 65535 {
			continue
		}
		if p.Protocol == nil || isTCP(*p.Protocol) {
			return uint16(*p.Port)
		}
	}
	return 0
}

// usable reports whether e may take new connections at all: ready, or
// serving while terminating (ProxyTerminatingEndpoints, GA since v1.28).
func (e endpoint) usable() bool { return e.ready || e.serving && e.terminating }

func (e endpoint) servingTerminating() bool { return e.serving && e.terminating }

// clusterEndpoints are the endpoints of the Cluster traffic policy on node
// (CategorizeEndpoints in topology.go): the ready ones, narrowed to those
// hinted for node when trafficDistribution PreferSameNode hinted every
// ready one and one of them for node; with no ready endpoint, the
// serving-terminating ones.
func clusterEndpoints(eps []endpoint, node string) []endpoint {
	sameNode := preferSameNode(eps, node)
	out := filter(eps, func(e endpoint) bool { return e.ready && (!sameNode || e.hintedFor(node)) })
	if len(out) == 0 {
		out = filter(eps, endpoint.servingTerminating)
	}
	return out
}

// localEndpoints are the endpoints of the Local traffic policy on node:
// its ready ones, or with none, its serving-terminating ones.
func localEndpoints(eps []endpoint, node string) []endpoint {
	if node == "" {
		return nil
	}
	out := filter(eps, func(e endpoint) bool { return e.node == node && e.ready })
	if len(out) == 0 {
		out = filter(eps, func(e endpoint) bool { return e.node == node && e.servingTerminating() })
	}
	return out
}

// preferSameNode is topologyModeFromHints' PreferSameNode case. Its zone
// case never applies here: it needs the node's topology.kubernetes.io/zone
// label, and kube-proxy ignores zone hints on a node without one.
func preferSameNode(eps []endpoint, node string) bool {
	hinted := false
	for _, e := range eps {
		if !e.ready {
			continue
		}
		if e.hints == nil || len(e.hints.ForNodes) == 0 {
			return false
		}
		hinted = hinted || e.hintedFor(node)
	}
	return hinted
}

func (e endpoint) hintedFor(node string) bool {
	return e.hints != nil && slices.ContainsFunc(e.hints.ForNodes, func(n discoveryv1.ForNode) bool { return n.Name == node })
}

func filter(eps []endpoint, keep func(endpoint) bool) []endpoint {
	var out []endpoint
	for _, e := range eps {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// readyNodes lists, sorted, the nodes with an address of the family that
// hold a ready endpoint: those whose health check node port a load
// balancer sees healthy for an externalTrafficPolicy Local Service
// (healthcheck counts only ready local endpoints).
func readyNodes(eps []endpoint, nodes *nodeAddrs, is6 bool) []string {
	var out []string
	for _, e := range eps {
		if _, ok := nodes.addr(e.node, is6); ok && e.ready {
			out = append(out, e.node)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
