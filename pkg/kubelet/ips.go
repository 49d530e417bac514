package kubelet

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/fakecluster/fakecluster/pkg/allocator"
)

// podIPs hands out pod IPs from the node's podCIDRs, one per family in the
// order of spec.podCIDRs (the cluster's family order), lowest free first,
// keeping each range's first address for the gateway as host-local IPAM
// on a bridge does (so the first pod of 10.244.1.0/24 is 10.244.1.2). It
// is empty until the node IPAM controller has given the node its CIDRs.
type podIPs struct {
	mu    sync.Mutex
	pools allocator.AddrPools
	// held are each pod's addresses, by pod UID, so a second allocation
	// for the same pod returns them and release frees them.
	held map[string][]netip.Addr
}

// errNoPodCIDR is returned while the node has no podCIDRs yet.
var errNoPodCIDR = errors.New("node has no pod CIDR assigned yet")

func newPodIPs() *podIPs { return &podIPs{held: make(map[string][]netip.Addr)} }

// setCIDRs sets the ranges once the node has them; later calls with the
// same ranges are no-ops (a node's podCIDRs never change).
func (p *podIPs) setCIDRs(cidrs []netip.Prefix) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools != nil || len(cidrs) == 0 {
		return nil
	}
	pools, err := allocator.NewAddrPools(cidrs)
	if err != nil {
		return err
	}
	for _, pool := range pools {
		gw := pool.Prefix().Addr().Next()
		if err := pool.Allocate(gw); err != nil && !errors.Is(err, allocator.ErrAllocated) {
			var nr *allocator.NotInRangeError
			if !errors.As(err, &nr) { // a /31 or /32 has no gateway to keep
				return err
			}
		}
	}
	for _, addrs := range p.held { // restored before the CIDRs were known
		for _, a := range addrs {
			if pool := pools.ForAddr(a); pool != nil {
				_ = pool.Allocate(a)
			}
		}
	}
	p.pools = pools
	return nil
}

// allocate returns uid's addresses, taking one per family on first use.
func (p *podIPs) allocate(uid string) ([]netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addrs, ok := p.held[uid]; ok {
		return addrs, nil
	}
	if p.pools == nil {
		return nil, errNoPodCIDR
	}
	var addrs []netip.Addr
	for i, pool := range p.pools {
		a, err := pool.AllocateNext()
		if err != nil {
			for _, b := range addrs {
				p.pools.ForAddr(b).Release(b)
			}
			return nil, fmt.Errorf("failed to allocate for range %d: no IP addresses available in range set: %s-%s",
				i, pool.Prefix().Addr().Next(), lastUsable(pool.Prefix()))
		}
		addrs = append(addrs, a)
	}
	p.held[uid] = addrs
	return addrs, nil
}

// restore marks addrs as uid's, for pods that had IPs before a restart.
// Addresses another pod holds, or outside the ranges, are not restored.
func (p *podIPs) restore(uid string, addrs []netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools != nil {
		var kept []netip.Addr
		for _, a := range addrs {
			if pool := p.pools.ForAddr(a); pool != nil && pool.Allocate(a) == nil {
				kept = append(kept, a)
			}
		}
		addrs = kept
	}
	if len(addrs) > 0 {
		p.held[uid] = addrs
	}
}

// release frees uid's addresses.
func (p *podIPs) release(uid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.held[uid] {
		if p.pools != nil {
			if pool := p.pools.ForAddr(a); pool != nil {
				pool.Release(a)
			}
		}
	}
	delete(p.held, uid)
}

// lastUsable is the last address of prefix p that a pod can have: the last
// one, less the broadcast address for IPv4, as host-local reports its range.
func lastUsable(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	if out.Is4() && bits < 31 {
		out = out.Prev()
	}
	return out
}

// prefixOf is a with the prefix length of the podCIDR it came from, as
// eth0 has it (a /32 or /128 when no range holds it).
func (p *podIPs) prefixOf(a netip.Addr) netip.Prefix {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pools != nil {
		if pool := p.pools.ForAddr(a); pool != nil {
			return netip.PrefixFrom(a, pool.Prefix().Bits())
		}
	}
	return netip.PrefixFrom(a, a.BitLen())
}
