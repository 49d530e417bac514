package proxy

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	netutils "k8s.io/utils/net"
)

// labelServiceProxyName marks a Service that another proxy implements;
// kube-proxy's informers exclude it (cmd/kube-proxy/app/server.go), as they
// exclude objects labelled corev1.IsHeadlessService.
const labelServiceProxyName = "service.kubernetes.io/service-proxy-name"

// entry is how a connection reached a Service port; it decides which
// traffic policy applies: internalTrafficPolicy for a cluster IP,
// externalTrafficPolicy for the others.
type entry int

const (
	viaClusterIP entry = iota
	viaExternalIP
	viaLoadBalancer
	viaNodePort
)

func (e entry) String() string {
	return [...]string{"cluster IP", "external IP", "load balancer IP", "node port"}[e]
}

// target is the Service port a destination address is.
type target struct {
	svc  *corev1.Service
	port *corev1.ServicePort
	via  entry
	// node owns the node address of a NodePort target.
	node string
}

// find resolves to as the family's proxier would: its service-ips map
// (cluster, external and VIP-mode LoadBalancer IPs, with port) first, then
// its NodePort map for node addresses, then the cluster-ips set that
// rejects a cluster IP's unknown ports (nftables/proxier.go).
func (t *Table) find(to netip.AddrPort, nodes *nodeAddrs) (target, error) {
	svcs, err := t.servicesAt(to)
	if err != nil {
		return target{}, err
	}
	ip, is6 := to.Addr(), to.Addr().Is6()
	var hit, nodePort target
	var closed *corev1.Service
	for _, svc := range svcs {
		cip := clusterIP(svc, is6)
		if !cip.IsValid() {
			// Not in this family's proxier, NodePorts included.
			continue
		}
		port := servicePort(svc, to.Port())
		nodePortMatch := nodePortOf(svc, to.Port())
		// Most Services have nothing at to: skip them before reading labels.
		if (cip != ip && port == nil && nodePortMatch == nil) || !proxied(svc) {
			continue
		}
		switch {
		case cip == ip && port == nil:
			if closed == nil || before(svc, closed) {
				closed = svc
			}
		case cip == ip:
			hit.consider(svc, port, viaClusterIP)
		case port != nil && externalIP(svc, ip):
			hit.consider(svc, port, viaExternalIP)
		case port != nil && loadBalancerVIP(svc, ip):
			hit.consider(svc, port, viaLoadBalancer)
		}
		if nodePortMatch != nil {
			nodePort.consider(svc, nodePortMatch, viaNodePort)
		}
	}
	if hit.svc != nil {
		return hit, nil
	}
	if nodePort.svc != nil {
		if nodePort.node = nodes.owner(ip); nodePort.node != "" {
			return nodePort, nil
		}
	}
	if closed != nil {
		return target{}, &Error{To: to, Service: key(closed), Reason: fmt.Sprintf("cluster IP has no TCP port %d", to.Port()), Err: ErrRefused}
	}
	return target{}, ErrNoService
}

// consider keeps the first Service by namespace and name when several
// claim one address and port (kube-proxy keeps whichever it wrote last,
// an order no one controls), so that routes do not depend on list order.
func (h *target) consider(svc *corev1.Service, port *corev1.ServicePort, via entry) {
	if h.svc == nil || before(svc, h.svc) {
		*h = target{svc: svc, port: port, via: via}
	}
}

func before(a, b *corev1.Service) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// proxied reports whether kube-proxy programs svc at all
// (proxyutil.ShouldSkipService and kube-proxy's informer selector).
// Headless Services are skipped later, having no cluster IP.
func proxied(svc *corev1.Service) bool {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return false
	}
	_, other := svc.Labels[labelServiceProxyName]
	_, headless := svc.Labels[corev1.IsHeadlessService]
	return !other && !headless
}

// clusterIP is svc's cluster IP of the family (proxyutil.GetClusterIPByFamily):
// by spec.ipFamilies when set, else spec.clusterIP if of the family.
func clusterIP(svc *corev1.Service, is6 bool) netip.Addr {
	if len(svc.Spec.IPFamilies) == 0 {
		if a := parseAddr(svc.Spec.ClusterIP); a.Is6() == is6 {
			return a
		}
		return netip.Addr{}
	}
	for i, f := range svc.Spec.IPFamilies {
		if (f == corev1.IPv6Protocol) == is6 && i < len(svc.Spec.ClusterIPs) {
			return parseAddr(svc.Spec.ClusterIPs[i])
		}
	}
	return netip.Addr{}
}

// servicePort is svc's TCP port number n, or nil.
func servicePort(svc *corev1.Service, n uint16) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		if p := &svc.Spec.Ports[i]; p.Port == int32(n) && isTCP(p.Protocol) {
			return p
		}
	}
	return nil
}

// nodePortOf is svc's TCP port whose nodePort is n, or nil.
func nodePortOf(svc *corev1.Service, n uint16) *corev1.ServicePort {
	for i := range svc.Spec.Ports {
		if p := &svc.Spec.Ports[i]; p.NodePort != 0 && p.NodePort == int32(n) && isTCP(p.Protocol) {
			return p
		}
	}
	return nil
}

// isTCP treats an unset protocol as the API's default, TCP, for objects
// that never went through defaulting.
func isTCP(p corev1.Protocol) bool { return p == corev1.ProtocolTCP || p == "" }

func externalIP(svc *corev1.Service, ip netip.Addr) bool {
	for _, s := range svc.Spec.ExternalIPs {
		if parseAddr(s) == ip {
			return true
		}
	}
	return false
}

// loadBalancerVIP reports whether ip is one of svc's ingress IPs that
// kube-proxy captures: those of ipMode VIP or unset (proxyutil.IsVIPMode).
// A Proxy-mode load balancer expects its own traffic to reach the nodes,
// so kube-proxy leaves its address alone, from pods too.
func loadBalancerVIP(svc *corev1.Service, ip netip.Addr) bool {
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IPMode != nil && *ing.IPMode != corev1.LoadBalancerIPModeVIP {
			continue
		}
		if ing.IP != "" && parseAddr(ing.IP) == ip {
			return true
		}
	}
	return false
}

// sourceAllowed applies spec.loadBalancerSourceRanges of from's family to
// a connection to a LoadBalancer IP, as the firewall-check chain does; no
// range of the family lets every source through. An unknown source (from
// invalid) is in no range.
func sourceAllowed(svc *corev1.Service, from netip.Addr, is6 bool) bool {
	allowed := true
	for _, s := range svc.Spec.LoadBalancerSourceRanges {
		p, ok := parsePrefix(strings.TrimSpace(s))
		if !ok || p.Addr().Is6() != is6 {
			continue
		}
		if p.Contains(from) {
			return true
		}
		allowed = false
	}
	return allowed
}

// parseAddr parses an API address as kube-proxy does (ParseIPSloppy):
// legacy fields may hold leading zeros or IPv4-mapped IPv6 addresses.
// Anything else is the invalid Addr, which matches no valid one.
func parseAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	a, _ := netip.AddrFromSlice(netutils.ParseIPSloppy(s))
	return a.Unmap()
}

// parsePrefix parses a CIDR as kube-proxy does (ParseCIDRSloppy), masked.
func parsePrefix(s string) (netip.Prefix, bool) {
	_, n, err := netutils.ParseCIDRSloppy(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	if a.Is4In6() {
		a, ones = a.Unmap(), ones-96
	}
	return netip.PrefixFrom(a, ones).Masked(), true
}
