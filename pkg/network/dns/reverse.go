package dns

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// reverseAddr reads the address of a lower-case PTR name, as CoreDNS's
// dnsutil.ExtractAddressFromReverse does: the labels before
// "in-addr.arpa." reversed and joined with dots, or the labels before
// "ip6.arpa." reversed, four by four (extra ones are dropped) joined with
// colons. A partial name ("96.10.in-addr.arpa.") is no address. An
// IPv4-mapped IPv6 address stands for its IPv4 address.
func reverseAddr(name string) (netip.Addr, bool) {
	var text string
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa."); ok {
		parts := strings.Split(rest, ".")
		slices.Reverse(parts)
		text = strings.Join(parts, ".")
	} else if rest, ok := strings.CutSuffix(name, ".ip6.arpa."); ok {
		nibbles := strings.Split(rest, ".")
		slices.Reverse(nibbles)
		groups := make([]string, len(nibbles)/4)
		for i := range groups {
			groups[i] = strings.Join(nibbles[4*i:4*i+4], "")
		}
		text = strings.Join(groups, ":")
	} else {
		return netip.Addr{}, false
	}
	a, ok := parseAddr(text)
	if !ok || strings.HasSuffix(name, ".in-addr.arpa.") && !a.Unmap().Is4() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// namesOf returns the names that point to a: the Service whose cluster IP
// it is, or else the endpoints that have it, as CoreDNS's
// serviceRecordForIP finds them.
func (s *Server) namesOf(a netip.Addr) []string {
	svcs, _ := s.services.List(labels.Everything()) // only a bad selector fails
	slices.SortFunc(svcs, func(x, y *corev1.Service) int {
		return cmp.Or(strings.Compare(x.Namespace, y.Namespace), strings.Compare(x.Name, y.Name))
	})
	for _, svc := range svcs {
		for _, ip := range clusterIPs(svc) {
			if c, ok := parseAddr(ip); ok && c.Unmap() == a {
				return []string{svc.Name + "." + svc.Namespace + "." + kindSvc + "." + s.domain}
			}
		}
	}
	list, _ := s.slices.List(labels.Everything())
	slices.SortFunc(list, func(x, y *discoveryv1.EndpointSlice) int {
		return cmp.Or(strings.Compare(x.Namespace, y.Namespace), strings.Compare(x.Name, y.Name))
	})
	var names []string
	for _, slice := range list {
		// CoreDNS would write a name with an empty label for a slice of
		// no Service; such a name cannot be sent.
		svc := slice.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		for _, ep := range slice.Endpoints {
			if !ready(ep) {
				continue
			}
			for _, ip := range ep.Addresses {
				if e, ok := parseAddr(ip); ok && e.Unmap() == a {
					names = append(names, endpointName(ep, ip)+"."+svc+"."+slice.Namespace+"."+kindSvc+"."+s.domain)
				}
			}
		}
	}
	return names
}
