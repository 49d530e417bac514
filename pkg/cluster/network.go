package cluster

import (
	"net/netip"

	"github.com/fakecluster/fakecluster/pkg/allocator"
)

// The network defaults give a dual-stack cluster, IPv4 primary. They are
// functions, not variables, so that no caller can change them for another.

// DefaultServiceClusterIPRanges returns the default service ranges
// (--service-cluster-ip-range 10.96.0.0/16,fd00:10:96::/108).
func DefaultServiceClusterIPRanges() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("10.96.0.0/16"), netip.MustParsePrefix("fd00:10:96::/108")}
}

// DefaultClusterCIDRs returns the default pod network
// (--cluster-cidr 10.244.0.0/16,fd00:10:244::/56).
func DefaultClusterCIDRs() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")}
}

// DefaultLoadBalancerIPRanges returns the default LoadBalancer ingress ranges
// (--load-balancer-ip-range 172.18.255.0/24,fc00:f853:ccd:e793:ffff::/112).
func DefaultLoadBalancerIPRanges() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("172.18.255.0/24"), netip.MustParsePrefix("fc00:f853:ccd:e793:ffff::/112")}
}

// DefaultServiceNodePortRange returns the default NodePort range
// (--service-node-port-range 30000-32767), as kube-apiserver's.
func DefaultServiceNodePortRange() allocator.PortRange {
	return allocator.PortRange{Base: 30000, Size: 2768}
}

// The default per-node pod CIDR sizes (--node-cidr-mask-size-ipv4 and
// --node-cidr-mask-size-ipv6), as kube-controller-manager's.
const (
	DefaultNodeCIDRMaskSizeIPv4 = 24
	DefaultNodeCIDRMaskSizeIPv6 = 64
)

// DefaultClusterDomain is the cluster's DNS domain (--cluster-domain).
const DefaultClusterDomain = "cluster.local"

// withDefaults returns o with every zero network field set to its default.
func (o Options) withDefaults() Options {
	if len(o.ServiceClusterIPRanges) == 0 {
		o.ServiceClusterIPRanges = DefaultServiceClusterIPRanges()
	}
	if len(o.ClusterCIDRs) == 0 {
		o.ClusterCIDRs = DefaultClusterCIDRs()
	}
	if o.NodeCIDRMaskSizeIPv4 == 0 {
		o.NodeCIDRMaskSizeIPv4 = DefaultNodeCIDRMaskSizeIPv4
	}
	if o.NodeCIDRMaskSizeIPv6 == 0 {
		o.NodeCIDRMaskSizeIPv6 = DefaultNodeCIDRMaskSizeIPv6
	}
	if o.ServiceNodePortRange.Size == 0 {
		o.ServiceNodePortRange = DefaultServiceNodePortRange()
	}
	if len(o.LoadBalancerIPRanges) == 0 {
		o.LoadBalancerIPRanges = DefaultLoadBalancerIPRanges()
	}
	if len(o.NodeIPRanges) == 0 {
		o.NodeIPRanges = DefaultNodeIPRanges()
	}
	if o.Nodes == 0 {
		o.Nodes = 1
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = DefaultClusterDomain
	}
	return o
}
