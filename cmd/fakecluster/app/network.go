package app

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// networkOptions are the network flags, as given. An empty value means the
// default, as an empty --kubeconfig does (and as kube-apiserver treats an
// empty --service-cluster-ip-range); a mask size of 0 means the default, as
// kube-controller-manager treats it.
type networkOptions struct {
	ServiceClusterIPRange string
	ClusterCIDR           string
	NodeCIDRMaskSizeIPv4  int
	NodeCIDRMaskSizeIPv6  int
	ServiceNodePortRange  string
	LoadBalancerIPRange   string
	NodeIPRange           string
	ClusterDomain         string
	DNSBindAddress        string

	// Text given to the mask size flags that was not a whole number.
	nodeCIDRMaskSizeIPv4Text, nodeCIDRMaskSizeIPv6Text string
}

// network checks the network flags with kube-apiserver's and
// kube-controller-manager's rules, using their texts where they have one,
// and returns the values for cluster.Options. The flags are checked one by
// one and every problem is returned.
func (o *networkOptions) network() (cluster.Options, []error) {
	var out cluster.Options
	var errs []error

	// --service-cluster-ip-range: kube-apiserver's validateClusterIPFlags and
	// getServiceIPAndRanges, and the IPv6 limit of its IPAddress allocator.
	const svcFlag = "--service-cluster-ip-range"
	svc, svcErrs := parseCIDRs(o.ServiceClusterIPRange, svcFlag, cluster.DefaultServiceClusterIPRanges())
	errs = append(errs, svcErrs...)
	for i, p := range svc {
		if p.Addr().Is6() && p.Bits() < 64 {
			errs = append(errs, invalid(o.ServiceClusterIPRange, svcFlag, fmt.Sprintf(
				"entry [%d]: shortest allowed prefix length for service CIDR is 64, got %d; use a /64 or longer, such as fd00:10:96::/108", i, p.Bits())))
		}
	}
	// controlplane's ServiceIPRange: default/kubernetes needs room in the primary range.
	if len(svc) > 0 && svc[0].Addr().BitLen()-svc[0].Bits() < 3 {
		errs = append(errs, invalid(o.ServiceClusterIPRange, svcFlag, fmt.Sprintf(
			"the service cluster IP range must be at least 8 IP addresses; entry [0] is a /%d, use a /%d or shorter",
			svc[0].Bits(), svc[0].Addr().BitLen()-3)))
	}
	if len(svcErrs) == 0 {
		out.ServiceClusterIPRanges = svc
	}

	// --cluster-cidr and the mask sizes: kube-controller-manager's
	// validateCIDRs and setNodeCIDRMaskSizes, NewNodeIpamController's mask
	// check and cidrset's limit of 16 bits between cluster and node masks
	// (IPv6 only, as upstream).
	const clusterFlag = "--cluster-cidr"
	pods, podErrs := parseCIDRs(o.ClusterCIDR, clusterFlag, cluster.DefaultClusterCIDRs())
	errs = append(errs, podErrs...)
	if len(podErrs) == 0 {
		out.ClusterCIDRs = pods
	}
	var ok bool
	out.NodeCIDRMaskSizeIPv4, ok = maskSize(&errs, o.NodeCIDRMaskSizeIPv4, o.nodeCIDRMaskSizeIPv4Text, "--node-cidr-mask-size-ipv4", 32, cluster.DefaultNodeCIDRMaskSizeIPv4)
	if ok && len(podErrs) == 0 {
		checkNodeMask(&errs, pods, false, o.NodeCIDRMaskSizeIPv4, out.NodeCIDRMaskSizeIPv4, "--node-cidr-mask-size-ipv4")
	}
	out.NodeCIDRMaskSizeIPv6, ok = maskSize(&errs, o.NodeCIDRMaskSizeIPv6, o.nodeCIDRMaskSizeIPv6Text, "--node-cidr-mask-size-ipv6", 128, cluster.DefaultNodeCIDRMaskSizeIPv6)
	if ok && len(podErrs) == 0 {
		checkNodeMask(&errs, pods, true, o.NodeCIDRMaskSizeIPv6, out.NodeCIDRMaskSizeIPv6, "--node-cidr-mask-size-ipv6")
	}

	// --service-node-port-range: apimachinery's PortRange, with its texts.
	const portsFlag = "--service-node-port-range"
	ports, err := allocator.ParsePortRange(o.ServiceNodePortRange)
	switch {
	case err != nil:
		errs = append(errs, invalid(o.ServiceNodePortRange, portsFlag, err.Error()+"; write first-last, such as 30000-32767"))
	case ports.Size == 0:
		out.ServiceNodePortRange = cluster.DefaultServiceNodePortRange()
	default:
		out.ServiceNodePortRange = ports
	}

	// --load-balancer-ip-range is ours: the same list rules, and IPv6 ranges
	// of /64 or longer, which its allocator (an allocator.IPRange) needs.
	const lbFlag = "--load-balancer-ip-range"
	lb, lbErrs := parseCIDRs(o.LoadBalancerIPRange, lbFlag, cluster.DefaultLoadBalancerIPRanges())
	errs = append(errs, lbErrs...)
	for i, p := range lb {
		if p.Addr().Is6() && p.Bits() < 64 {
			errs = append(errs, invalid(o.LoadBalancerIPRange, lbFlag, fmt.Sprintf(
				"entry [%d] is a /%d: an IPv6 range must be a /64 or longer, such as fc00:f853:ccd:e793:ffff::/112", i, p.Bits())))
		}
	}
	if len(lbErrs) == 0 {
		out.LoadBalancerIPRanges = lb
	}

	// --node-ip-range is ours too: one range per family of the pod network,
	// since each node has an InternalIP of each family its pods have.
	const nodeFlag = "--node-ip-range"
	nodes, nodeErrs := parseCIDRs(o.NodeIPRange, nodeFlag, cluster.DefaultNodeIPRanges())
	for i, p := range nodes {
		if p.Addr().Is6() && p.Bits() < 64 {
			nodeErrs = append(nodeErrs, invalid(o.NodeIPRange, nodeFlag, fmt.Sprintf(
				"entry [%d] is a /%d: an IPv6 range must be a /64 or longer, such as fc00:f853:ccd:e793::/64", i, p.Bits())))
		}
	}
	if len(nodeErrs) == 0 && len(podErrs) == 0 {
		for _, c := range pods {
			if !slices.ContainsFunc(nodes, func(n netip.Prefix) bool { return n.Addr().Is4() == c.Addr().Is4() }) {
				nodeErrs = append(nodeErrs, invalid(o.NodeIPRange, nodeFlag, fmt.Sprintf(
					"has no %s range, which --cluster-cidr %s needs: give one range per family of --cluster-cidr, such as %s",
					allocator.FamilyOf(c.Addr()), c, joinPrefixes(cluster.DefaultNodeIPRanges()))))
			}
		}
	}
	errs = append(errs, nodeErrs...)
	if len(nodeErrs) == 0 {
		out.NodeIPRanges = nodes
	}

	// --cluster-domain: the kubelet's rule, a DNS subdomain.
	if msgs := validation.IsDNS1123Subdomain(o.ClusterDomain); o.ClusterDomain != "" && len(msgs) > 0 {
		errs = append(errs, invalid(o.ClusterDomain, "--cluster-domain", strings.Join(msgs, "; ")+", such as cluster.local"))
	}
	out.ClusterDomain = o.ClusterDomain

	// --dns-bind-address: off unless given; an address and a port.
	if o.DNSBindAddress != "" {
		if ap, err := netip.ParseAddrPort(o.DNSBindAddress); err != nil || ap.Addr().Zone() != "" {
			errs = append(errs, invalid(o.DNSBindAddress, "--dns-bind-address",
				"must be an IP address and a port, such as 127.0.0.1:5353 or [::1]:5353 (port 0 picks a free one)"))
		}
	}
	out.DNSBindAddress = o.DNSBindAddress
	return out, errs
}

// parseCIDRs parses a flag's comma-separated list of one or two CIDRs of
// different IP families; empty means def. Prefixes are masked, as
// netutils.ParseCIDRSloppy does. It returns what parsed, and the problems.
func parseCIDRs(value, flag string, def []netip.Prefix) ([]netip.Prefix, []error) {
	if strings.TrimSpace(value) == "" {
		return def, nil
	}
	example := def[0].String() + " or " + def[0].String() + "," + def[1].String()
	entries := strings.Split(value, ",")
	if len(entries) > 2 {
		return nil, []error{invalid(value, flag, "must not contain more than two entries: give one CIDR, or one IPv4 and one IPv6 CIDR, such as "+example)}
	}
	var prefixes []netip.Prefix
	var errs []error
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		p, err := netip.ParsePrefix(entry)
		switch {
		case err != nil:
			errs = append(errs, invalid(value, flag, fmt.Sprintf(
				"entry [%d] %q is not a valid cidr; write an IP address and a prefix length, such as %s", i, entry, def[0])))
		case p.Addr().Is4In6():
			errs = append(errs, invalid(value, flag, fmt.Sprintf(
				"entry [%d] %q is an IPv4-mapped IPv6 cidr; write it as an IPv4 cidr, such as %s", i, entry, def[0])))
		default:
			prefixes = append(prefixes, p.Masked())
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(prefixes) == 2 && prefixes[0].Addr().Is4() == prefixes[1].Addr().Is4() {
		return nil, []error{invalid(value, flag, "entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as "+example)}
	}
	return prefixes, nil
}

// maskSize checks a mask size flag's own value and returns the size to use
// (def for 0) and whether it was a usable number.
func maskSize(errs *[]error, n int, text, flag string, bits, def int) (int, bool) {
	rule := fmt.Sprintf("must be a prefix length from 1 to %d (0 means the default, %d)", bits, def)
	switch {
	case text != "":
		*errs = append(*errs, invalid(text, flag, rule))
		return 0, false
	case n < 0 || n > bits:
		*errs = append(*errs, invalid(strconv.Itoa(n), flag, rule))
		return 0, false
	case n == 0:
		return def, true
	}
	return n, true
}

// checkNodeMask checks a node mask size against the --cluster-cidr entry of
// its family. given is the flag's value (0: not set), size the one in use.
func checkNodeMask(errs *[]error, pods []netip.Prefix, ipv6 bool, given, size int, flag string) {
	var cidr netip.Prefix
	for _, p := range pods {
		if p.Addr().Is6() == ipv6 {
			cidr = p
		}
	}
	if !cidr.IsValid() {
		if given != 0 {
			family, other := "IPv6", "IPv4"
			if ipv6 {
				family, other = other, family
			}
			*errs = append(*errs, invalid(strconv.Itoa(given), flag, fmt.Sprintf(
				"usage of %s is not allowed for a single-stack %s cluster; add an %s --cluster-cidr, or leave it out", flag, family, other)))
		}
		return
	}
	longest := cidr.Addr().BitLen()
	if ipv6 {
		longest = min(longest, cidr.Bits()+16)
	}
	switch {
	case size < cidr.Bits():
		*errs = append(*errs, invalid(strconv.Itoa(size), flag, fmt.Sprintf(
			"mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family; for --cluster-cidr %s use %d to %d",
			cidr, cidr.Bits(), longest)))
	case size > longest:
		*errs = append(*errs, invalid(strconv.Itoa(size), flag, fmt.Sprintf(
			"the node CIDR size is too big: it may be at most 16 bits longer than the --cluster-cidr %s; use %d to %d",
			cidr, cidr.Bits(), longest)))
	}
}
