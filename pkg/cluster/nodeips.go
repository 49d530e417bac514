package cluster

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/fakecluster/fakecluster/pkg/allocator"
)

// DefaultNodeIPRanges returns the default node network (--node-ip-range
// 172.18.0.0/16,fc00:f853:ccd:e793::/64): the network of kind's docker
// bridge, which the default LoadBalancer ranges sit at the end of.
func DefaultNodeIPRanges() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("172.18.0.0/16"), netip.MustParsePrefix("fc00:f853:ccd:e793::/64")}
}

// nodeIPAssigner gives nodes their simulated InternalIPs: one per family of
// the cluster, in the cluster's family order, lowest free first after the
// network's gateway (its first address, as on a docker network), never
// from a LoadBalancer range, and the same addresses a node had before.
type nodeIPAssigner struct {
	pools    []*allocator.AddrPool // in cluster family order
	reserved []netip.Prefix        // LoadBalancer ranges
}

// newNodeIPAssigner builds the pools of ranges for the families of
// clusterCIDRs, in their order. A family of the cluster that ranges lack
// is an error: its nodes could not have an address of it.
func newNodeIPAssigner(ranges, clusterCIDRs, lbRanges []netip.Prefix) (*nodeIPAssigner, error) {
	a := &nodeIPAssigner{reserved: lbRanges}
	for _, c := range clusterCIDRs {
		i := slices.IndexFunc(ranges, func(r netip.Prefix) bool { return r.Addr().Is4() == c.Addr().Is4() })
		if i < 0 {
			return nil, fmt.Errorf("node IP ranges %v have no %s range for the cluster CIDR %v", ranges, allocator.FamilyOf(c.Addr()), c)
		}
		pool, err := allocator.NewAddrPool(ranges[i])
		if err != nil {
			return nil, fmt.Errorf("node IP range: %w", err)
		}
		_ = pool.Allocate(pool.Prefix().Addr().Next()) // the gateway
		a.pools = append(a.pools, pool)
	}
	return a, nil
}

// keep marks addresses a node already has as taken; it returns those it
// kept, in family order, or nil if the node's addresses do not fit the
// ranges any more (then it gets new ones).
func (a *nodeIPAssigner) keep(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, len(a.pools))
	for i, pool := range a.pools {
		j := slices.IndexFunc(addrs, pool.Contains)
		if j < 0 || pool.Allocate(addrs[j]) != nil {
			for _, taken := range out[:i] {
				a.poolOf(taken).Release(taken)
			}
			return nil
		}
		out[i] = addrs[j]
	}
	return out
}

// next takes one free address per family.
func (a *nodeIPAssigner) next() ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(a.pools))
	for _, pool := range a.pools {
		for {
			addr, err := pool.AllocateNext()
			if err != nil {
				return nil, fmt.Errorf("node IP range %v: %w", pool.Prefix(), err)
			}
			if !slices.ContainsFunc(a.reserved, func(p netip.Prefix) bool { return p.Contains(addr) }) {
				out = append(out, addr)
				break
			}
		}
	}
	return out, nil
}

func (a *nodeIPAssigner) poolOf(addr netip.Addr) *allocator.AddrPool {
	for _, p := range a.pools {
		if p.Contains(addr) {
			return p
		}
	}
	return nil
}
