package allocator

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
)

// AddrPool hands out the addresses of one range of one IP family: a LoadBalancer ingress range
// (--load-balancer-ip-range), the node network (--node-ip-range) or a node's podCIDR. Unlike
// IPRange it has no bands and no randomness: AllocateNext takes the lowest free address, as
// MetalLB, docker's networks and host-local IPAM do, so that which object gets which address
// depends only on the order they were served in, and a test or a user can predict it.
//
// The network address is never handed out, nor, for IPv4, the broadcast address, since some
// clients mishandle them; a range of one or two addresses (IPv4 /31 and /32, IPv6 /127 and
// /128) has no such reserved address and hands out all it has, so a single-address pool works.
// IPv6 ranges must be a /64 or longer, as the flags require. Callers that keep a gateway
// address out (pods and nodes: the first address) Allocate it first.
//
// It is safe for concurrent use; every check-and-take is atomic.
type AddrPool struct {
	prefix netip.Prefix
	is4    bool
	hi     uint64 // for IPv6, the upper 64 bits shared by every address of the pool
	first  uint64 // low 64 bits of the first usable address
	size   uint64 // number of usable addresses

	mu   sync.Mutex
	used map[uint64]struct{} // taken addresses, as offsets from first
	// low is a lower bound of the free offsets: every offset below it is taken.
	low uint64
}

// NewAddrPool returns an AddrPool over cidr (which is masked first). It rejects invalid, zoned
// and IPv4-mapped prefixes and IPv6 prefixes shorter than /64.
func NewAddrPool(cidr netip.Prefix) (*AddrPool, error) {
	if !cidr.IsValid() {
		return nil, fmt.Errorf("invalid IP range %v", cidr)
	}
	if cidr.Addr().Is4In6() {
		return nil, fmt.Errorf("invalid IP range %v: IPv4-mapped IPv6 prefix", cidr)
	}
	if cidr.Addr().Zone() != "" {
		return nil, fmt.Errorf("invalid IP range %v: zoned address", cidr)
	}
	cidr = cidr.Masked()
	if cidr.Addr().Is6() && cidr.Bits() < 64 {
		return nil, fmt.Errorf("invalid IP range %v: an IPv6 range must be a /64 or longer", cidr)
	}
	p := &AddrPool{prefix: cidr, is4: cidr.Addr().Is4(), used: make(map[uint64]struct{})}
	base := u128From(cidr.Addr())
	p.hi, p.first = base.hi, base.lo
	host := cidr.Addr().BitLen() - cidr.Bits()
	switch {
	case host <= 1:
		p.size = uint64(1) << uint(host)
	case host >= 64: // an IPv6 /64 less its network address
		p.size = ^uint64(0)
		p.first++
	default:
		p.size = uint64(1)<<uint(host) - 1 // less the network address
		p.first++
		if p.is4 {
			p.size-- // and the broadcast address
		}
	}
	return p, nil
}

// Prefix returns the range the pool serves.
func (p *AddrPool) Prefix() netip.Prefix { return p.prefix }

// Family returns IPv4 or IPv6.
func (p *AddrPool) Family() Family {
	if p.is4 {
		return IPv4
	}
	return IPv6
}

// Size returns how many addresses the pool can hand out, capped at math.MaxInt.
func (p *AddrPool) Size() int { return p.toInt(p.size) }

// Used returns how many addresses are taken.
func (p *AddrPool) Used() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}

// Free returns how many addresses are not taken, capped at math.MaxInt.
func (p *AddrPool) Free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.toInt(p.size - uint64(len(p.used)))
}

// toInt is n capped at math.MaxInt (an IPv6 /64 has more addresses).
func (*AddrPool) toInt(n uint64) int {
	const maxInt = uint64(^uint(0) >> 1)
	return int(min(n, maxInt))
}

func (p *AddrPool) addr(off uint64) netip.Addr {
	return u128{hi: p.hi, lo: p.first + off}.addr(p.is4)
}

// offsetOf returns a's offset from the first usable address, or a *NotInRangeError if the
// pool cannot hand a out.
func (p *AddrPool) offsetOf(a netip.Addr) (uint64, error) {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" || !p.prefix.Contains(a) {
		return 0, &NotInRangeError{Addr: a, Prefix: p.prefix}
	}
	v := u128From(a)
	if v.lo < p.first || v.lo-p.first >= p.size {
		return 0, &NotInRangeError{Addr: a, Prefix: p.prefix}
	}
	return v.lo - p.first, nil
}

// Contains reports whether a is an address the pool hands out (taken or not).
func (p *AddrPool) Contains(a netip.Addr) bool {
	_, err := p.offsetOf(a)
	return err == nil
}

// Has reports whether a is taken.
func (p *AddrPool) Has(a netip.Addr) bool {
	off, err := p.offsetOf(a)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.used[off]
	return ok
}

// Allocate takes the requested address a. It returns *NotInRangeError if the pool cannot
// hand a out (outside the range, other family, network or broadcast address) and
// ErrAllocated if a is taken. IPv4-mapped IPv6 addresses count as IPv4.
func (p *AddrPool) Allocate(a netip.Addr) error {
	off, err := p.offsetOf(a)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, taken := p.used[off]; taken {
		return ErrAllocated
	}
	p.used[off] = struct{}{}
	return nil
}

// AllocateNext takes and returns the lowest free address, or returns ErrFull.
func (p *AddrPool) AllocateNext() (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if uint64(len(p.used)) >= p.size {
		return netip.Addr{}, ErrFull
	}
	off := p.low
	for {
		if _, taken := p.used[off]; !taken {
			break
		}
		off++
	}
	p.used[off] = struct{}{}
	p.low = off + 1
	return p.addr(off), nil
}

// Release frees a. Releasing a free address, or one the pool cannot hold, is a no-op.
func (p *AddrPool) Release(a netip.Addr) {
	off, err := p.offsetOf(a)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, off)
	p.low = min(p.low, off)
}

// Allocated returns the taken addresses in ascending order.
func (p *AddrPool) Allocated() []netip.Addr {
	p.mu.Lock()
	offs := make([]uint64, 0, len(p.used))
	for off := range p.used {
		offs = append(offs, off)
	}
	p.mu.Unlock()
	slices.Sort(offs)
	out := make([]netip.Addr, len(offs))
	for i, off := range offs {
		out[i] = p.addr(off)
	}
	return out
}

// AddrPools is the LoadBalancer ingress ranges of a cluster, one AddrPool per family, the
// primary (the family a Service without spec.ipFamilies gets) first.
type AddrPools []*AddrPool

// NewAddrPools builds one AddrPool per range; there must be one or two, of different families.
func NewAddrPools(ranges []netip.Prefix) (AddrPools, error) {
	if len(ranges) == 0 || len(ranges) > 2 {
		return nil, fmt.Errorf("need one or two IP ranges, got %d", len(ranges))
	}
	if len(ranges) == 2 && ranges[0].Addr().Is4() == ranges[1].Addr().Is4() {
		return nil, fmt.Errorf("IP ranges %v and %v must be of different IP families", ranges[0], ranges[1])
	}
	ps := make(AddrPools, len(ranges))
	for i, r := range ranges {
		p, err := NewAddrPool(r)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// Family returns the pool of family f, or nil.
func (ps AddrPools) Family(f Family) *AddrPool {
	for _, p := range ps {
		if p.Family() == f {
			return p
		}
	}
	return nil
}

// ForAddr returns the pool that hands out a (taken or not), or nil.
func (ps AddrPools) ForAddr(a netip.Addr) *AddrPool {
	for _, p := range ps {
		if p.Contains(a) {
			return p
		}
	}
	return nil
}
