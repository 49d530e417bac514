package dns

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// target is one thing a name stands for: an address (with the port of an
// SRV record) or, for an ExternalName Service, another name. It is what
// CoreDNS's kubernetes plugin calls a msg.Service.
type target struct {
	// host is the address as the object spells it, or the other name.
	host string
	// addr is host parsed; it is invalid when host is a name.
	addr netip.Addr
	// port is the Service or endpoint port, -1 when there is none: such
	// targets give addresses but no SRV record.
	port int32
	// domain is the fully qualified name SRV records point to.
	domain string
}

// records returns what the name of k holds, whatever the query type, and
// whether the name exists at all: CoreDNS's Records.
func (s *Server) records(k query) ([]target, bool) {
	r, ok := parseRequest(k.labels)
	if !ok {
		return nil, false
	}
	if r.kind == "" {
		return nil, true
	}
	if k.reverse || !s.namespaceExists(r.namespace) {
		return nil, false
	}
	if r.kind == kindPod {
		return podTarget(r, k.zone)
	}
	return s.serviceTargets(r, k.zone)
}

// targets returns what the name of k holds for a query of type qtype:
// CoreDNS's Services, which also answers for the nameserver's own name and
// leaves ExternalName targets out of SRV answers.
func (s *Server) targets(k query, qtype uint16) ([]target, bool) {
	if s.isNameserverName(k) {
		var ts []target
		for _, t := range s.nameservers(k.zone) {
			if rrType(t.addr) == qtype {
				ts = append(ts, target{host: t.host, addr: t.addr, port: -1, domain: k.name})
			}
		}
		return ts, true
	}
	ts, ok := s.records(k)
	if qtype == dns.TypeSRV {
		ts = slices.DeleteFunc(ts, func(t target) bool { return !t.addr.IsValid() })
	}
	return ts, ok
}

// isNameserverName reports whether k asks for "ns.dns.<zone>", the name
// of the SOA's nameserver. CoreDNS compares the lower-cased query name
// with the zone as the client spelled it, so only a lower-case zone
// matches.
func (s *Server) isNameserverName(k query) bool {
	if len(k.labels) < 2 || k.labels[0] != "ns" || k.labels[1] != "dns" {
		return false
	}
	name := lower(k.name)
	return strings.HasPrefix(name, nameserverPrefix) && strings.Index(name, k.zone) == len(nameserverPrefix)
}

const nameserverPrefix = "ns.dns."

// nameservers are the addresses a zone's NS records name: CoreDNS finds the
// Service whose endpoints hold its own pod's address, kubeadm's
// kube-system/kube-dns, and names its cluster IPs. This server stands for
// that pod. Without the Service (or with a headless one, which kubeadm
// never makes) there is no nameserver to name.
func (s *Server) nameservers(zone string) []target {
	svc, err := s.services.Services(kubeDNSNamespace).Get(kubeDNSName)
	if err != nil || isHeadless(svc) {
		return nil
	}
	domain := kubeDNSName + "." + kubeDNSNamespace + "." + kindSvc + "." + zone
	var ts []target
	for _, ip := range clusterIPs(svc) {
		if a, ok := parseAddr(ip); ok {
			ts = append(ts, target{host: ip, addr: a, port: -1, domain: domain})
		}
	}
	return ts
}

const (
	kubeDNSNamespace = "kube-system"
	kubeDNSName      = "kube-dns"
)

func (s *Server) namespaceExists(name string) bool {
	if s.namespaces == nil {
		return true
	}
	_, err := s.namespaces.Get(name)
	return err == nil
}

// podTarget answers "<a-b-c-d>.<ns>.pod.<zone>" as "pods insecure" does:
// the address written in the name, with no pod looked up. A name of three
// dashes (and no "--") is IPv4, any other is IPv6 with colons written as
// dashes; what does not parse does not exist.
func podTarget(r request, zone string) ([]target, bool) {
	if r.service == "" {
		return nil, true
	}
	ip := strings.ReplaceAll(r.service, "-", ":")
	if strings.Count(r.service, "-") == 3 && !strings.Contains(r.service, "--") {
		ip = strings.ReplaceAll(r.service, "-", ".")
	}
	a, ok := parseAddr(ip)
	if !ok {
		return nil, false
	}
	domain := r.service + "." + r.namespace + "." + kindPod + "." + zone
	return []target{{host: ip, addr: a, domain: domain}}, true
}

// serviceTargets answers the names under "<svc>.<ns>.svc.<zone>", as
// CoreDNS's findServices does. A name under a ClusterIP Service with an
// endpoint label is answered from its endpoints, as for a headless one.
func (s *Server) serviceTargets(r request, zone string) ([]target, bool) {
	if r.service == "" {
		return nil, true
	}
	svc, err := s.services.Services(r.namespace).Get(r.service)
	if err != nil {
		return nil, false
	}
	domain := svc.Name + "." + svc.Namespace + "." + kindSvc + "." + zone
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		// An address there is no name to point to, and such a Service has
		// no endpoints nor ports to ask for.
		if _, isAddr := parseAddr(svc.Spec.ExternalName); isAddr || r.endpoint != "" || r.port != "" || r.protocol != "" {
			return nil, false
		}
		return []target{{host: svc.Spec.ExternalName, port: -1, domain: domain}}, true
	case isHeadless(svc) || r.endpoint != "":
		ts := s.endpointTargets(svc, r, domain)
		return ts, len(ts) > 0
	}
	var ts []target
	found := false
	for _, p := range servicePorts(svc) {
		if !r.matchesPort(p.name, p.protocol) {
			continue
		}
		found = true
		for _, ip := range clusterIPs(svc) {
			if a, ok := parseAddr(ip); ok {
				ts = append(ts, target{host: ip, addr: a, port: p.port, domain: domain})
			}
		}
	}
	return ts, found
}

// endpointTargets are the ready endpoints of svc that r names (all of them
// when r has no endpoint label), one per port that r matches.
func (s *Server) endpointTargets(svc *corev1.Service, r request, domain string) []target {
	var ts []target
	for _, slice := range s.slicesOf(svc) {
		ports := slicePorts(slice)
		for _, ep := range slice.Endpoints {
			if !ready(ep) {
				continue
			}
			for _, ip := range ep.Addresses {
				a, ok := parseAddr(ip)
				if !ok {
					continue // an FQDN slice's name: not an address record
				}
				name := endpointName(ep, ip)
				if r.endpoint != "" && !strings.EqualFold(r.endpoint, name) {
					continue
				}
				for _, p := range ports {
					if r.matchesPort(p.name, p.protocol) {
						ts = append(ts, target{host: ip, addr: a, port: p.port, domain: name + "." + domain})
					}
				}
			}
		}
	}
	return ts
}

// slicesOf lists svc's EndpointSlices by name: CoreDNS takes them in its
// informer's order, which is no order at all.
func (s *Server) slicesOf(svc *corev1.Service) []*discoveryv1.EndpointSlice {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name})
	list, _ := s.slices.EndpointSlices(svc.Namespace).List(sel) // only a bad selector fails
	slices.SortFunc(list, func(a, b *discoveryv1.EndpointSlice) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// port is a Service or EndpointSlice port as CoreDNS matches it.
type port struct {
	name, protocol string
	port           int32
}

// noPorts stands for the ports of an object that has none: its addresses
// are answered, but no SRV record.
var noPorts = []port{{port: -1}}

func servicePorts(svc *corev1.Service) []port {
	if len(svc.Spec.Ports) == 0 {
		return noPorts
	}
	ps := make([]port, len(svc.Spec.Ports))
	for i, p := range svc.Spec.Ports {
		ps[i] = port{name: p.Name, protocol: string(p.Protocol), port: p.Port}
	}
	return ps
}

func slicePorts(slice *discoveryv1.EndpointSlice) []port {
	if len(slice.Ports) == 0 {
		return noPorts
	}
	ps := make([]port, len(slice.Ports))
	for i, p := range slice.Ports {
		ps[i] = port{port: -1}
		if p.Name != nil {
			ps[i].name = *p.Name
		}
		if p.Protocol != nil {
			ps[i].protocol = string(*p.Protocol)
		}
		if p.Port != nil {
			ps[i].port = *p.Port
		}
	}
	return ps
}

// matchesPort reports whether a port is one that r asks for: any, when r
// names no port or protocol.
func (r request) matchesPort(name, protocol string) bool {
	return (r.port == "" || strings.EqualFold(r.port, name)) && (r.protocol == "" || strings.EqualFold(r.protocol, protocol))
}

// ready is an endpoint's readiness as EndpointSlice consumers take it:
// unknown (nil) counts as ready.
func ready(ep discoveryv1.Endpoint) bool {
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// endpointName is the label an endpoint's address goes by: its hostname,
// or else the address with dashes for dots (IPv4) or for colons (IPv6, as
// written, with a 0 after a final "::").
func endpointName(ep discoveryv1.Endpoint, ip string) string {
	switch {
	case ep.Hostname != nil && *ep.Hostname != "":
		return *ep.Hostname
	case strings.Contains(ip, "."):
		return strings.ReplaceAll(ip, ".", "-")
	case strings.HasSuffix(ip, ":"):
		return strings.ReplaceAll(ip, ":", "-") + "0"
	}
	return strings.ReplaceAll(ip, ":", "-")
}

// clusterIPs are a Service's cluster IPs as CoreDNS reads them: spec.clusterIPs, or
// spec.clusterIP for an object written before dual-stack.
func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	return []string{svc.Spec.ClusterIP}
}

func isHeadless(svc *corev1.Service) bool {
	return clusterIPs(svc)[0] == corev1.ClusterIPNone
}

// parseAddr parses an IP address as CoreDNS (net.ParseIP) does: without
// an IPv6 zone.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	return a, err == nil && a.Zone() == ""
}
