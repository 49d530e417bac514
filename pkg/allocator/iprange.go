package allocator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
)

// IPRange hands out the addresses of one Service CIDR of one IP family, like the v1.37
// apiserver's ipallocator.Allocator (the IPAddress-backed allocator, MultiCIDRServiceAllocator):
//
//   - the network address is never handed out; for IPv4 neither is the broadcast address,
//     while IPv6 may use its last address; there is no 65536-address cap (that was the legacy
//     bitmap allocator's);
//   - the usable addresses are split by upstream's calculateRangeOffset: a lower "static" band
//     of min(max(16, size/16), 256) addresses (none when the CIDR has 16 addresses or fewer),
//     kept for user-chosen IPs, and an upper "dynamic" band;
//   - AllocateNext starts at a random address of the upper band and walks forward, wrapping;
//     only when the upper band is full does it do the same in the lower band.
//
// State is a set of taken addresses, so even a /64 costs memory only for what is taken. It is
// safe for concurrent use; every check-and-take is atomic.
type IPRange struct {
	prefix netip.Prefix
	is4    bool
	hi     uint64 // for IPv6, the upper 64 bits shared by every address of the range
	first  uint64 // low 64 bits of the first usable address
	size   uint64 // number of usable addresses (at most 2^64-1)
	offset uint64 // size of the static band [first, first+offset)

	mu    sync.Mutex
	rnd   *rand.Rand
	used  map[uint64]struct{} // taken addresses, as offsets from first
	lower uint64              // how many taken addresses are in the static band
}

// NewIPRange returns an IPRange over cidr (which is masked first). rnd chooses where dynamic
// allocation starts; pass a seeded *rand.Rand for reproducible tests, or nil for a randomly
// seeded one. The IPRange owns rnd from then on.
//
// Like upstream's NewIPAllocator it rejects IPv6 prefixes shorter than /64 and accepts tiny
// ones: an IPv4 /31 or /32 or an IPv6 /128 has no usable address, so AllocateNext returns
// ErrFull. (Flag and ServiceCIDR validation, which reject more, are the caller's.)
func NewIPRange(cidr netip.Prefix, rnd *rand.Rand) (*IPRange, error) {
	if !cidr.IsValid() {
		return nil, fmt.Errorf("invalid CIDR %v", cidr)
	}
	if cidr.Addr().Is4In6() {
		return nil, fmt.Errorf("invalid CIDR %v: IPv4-mapped IPv6 prefix", cidr)
	}
	if cidr.Addr().Zone() != "" {
		return nil, fmt.Errorf("invalid CIDR %v: zoned address", cidr)
	}
	cidr = cidr.Masked()
	if cidr.Addr().Is6() && cidr.Bits() < 64 {
		return nil, fmt.Errorf("shortest allowed prefix length for service CIDR is 64, got %d", cidr.Bits())
	}
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	r := &IPRange{
		prefix: cidr,
		is4:    cidr.Addr().Is4(),
		rnd:    rnd,
		used:   make(map[uint64]struct{}),
	}
	host := cidr.Addr().BitLen() - cidr.Bits()
	base := u128From(cidr.Addr())
	r.hi = base.hi
	r.first = base.lo + 1
	r.size = hostsPerNetwork(host, r.is4)
	r.offset = calculateIPRangeOffset(host, r.is4)
	return r, nil
}

// hostsPerNetwork is upstream's: 2^host - 2 for IPv4, 2^host - 1 for IPv6, capped at
// 2^64-1 (which a /64 reaches exactly).
func hostsPerNetwork(host int, is4 bool) uint64 {
	if host >= 64 {
		return math.MaxUint64
	}
	n := uint64(1)<<uint(host) - 1
	if is4 && n > 0 {
		n--
	}
	return n
}

// calculateIPRangeOffset is upstream's calculateRangeOffset over utilnet.RangeSize:
// min(max(16, size/16), 256), or 0 when the CIDR has 16 addresses or fewer.
func calculateIPRangeOffset(host int, is4 bool) uint64 {
	const lo, hi, step = 16, 256, 16
	var rangeSize uint64
	switch {
	case is4 && host >= 31, !is4 && host >= 127:
		rangeSize = 0
	case host >= 63:
		rangeSize = math.MaxInt64
	default:
		rangeSize = 1 << uint(host)
	}
	if rangeSize <= lo {
		return 0
	}
	return min(max(lo, rangeSize/step), hi)
}

// Prefix returns the CIDR the range serves.
func (r *IPRange) Prefix() netip.Prefix { return r.prefix }

// Family returns IPv4 or IPv6.
func (r *IPRange) Family() Family {
	if r.is4 {
		return IPv4
	}
	return IPv6
}

// First returns the first usable address (the CIDR's index 1, which the "kubernetes" Service
// takes), or the zero Addr if the range has none.
func (r *IPRange) First() netip.Addr {
	if r.size == 0 {
		return netip.Addr{}
	}
	return r.addr(0)
}

// Last returns the last usable address, or the zero Addr if the range has none.
func (r *IPRange) Last() netip.Addr {
	if r.size == 0 {
		return netip.Addr{}
	}
	return r.addr(r.size - 1)
}

// StaticBand returns how many addresses, from First, make up the static band.
func (r *IPRange) StaticBand() int { return int(r.offset) }

func (r *IPRange) addr(off uint64) netip.Addr {
	return u128{hi: r.hi, lo: r.first + off}.addr(r.is4)
}

// offsetOf returns a's offset from First, or an error if a cannot be allocated here.
func (r *IPRange) offsetOf(a netip.Addr) (uint64, error) {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" || !r.prefix.Contains(a) {
		return 0, &NotInRangeError{Addr: a, Prefix: r.prefix}
	}
	v := u128From(a)
	if v.lo < r.first || v.lo-r.first >= r.size {
		return 0, &NotInRangeError{Addr: a, Prefix: r.prefix}
	}
	return v.lo - r.first, nil
}

// Allocate takes the user-chosen address a. It returns *NotInRangeError if a is outside the
// CIDR, of the other family, or reserved (network address, IPv4 broadcast), and ErrAllocated
// if a is already taken. IPv4-mapped IPv6 addresses count as IPv4, as net.IP does.
func (r *IPRange) Allocate(a netip.Addr) error {
	off, err := r.offsetOf(a)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.used[off]; taken {
		return ErrAllocated
	}
	r.take(off)
	return nil
}

func (r *IPRange) take(off uint64) {
	r.used[off] = struct{}{}
	if off < r.offset {
		r.lower++
	}
}

// AllocateNext takes and returns a free address: from the dynamic band starting at a random
// address, else from the static band likewise. It returns ErrFull if there is none.
func (r *IPRange) AllocateNext() (netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	upperSize := r.size - r.offset
	upperUsed := uint64(len(r.used)) - r.lower
	if upperUsed < upperSize {
		return r.addr(r.offset + r.scan(r.offset, upperSize)), nil
	}
	if r.lower < r.offset {
		return r.addr(r.scan(0, r.offset)), nil
	}
	return netip.Addr{}, ErrFull
}

// scan takes the first free offset in [base, base+n) at or after a random start, wrapping,
// and returns it relative to base. The band must have a free offset; the walk is at most one
// step longer than the number of taken addresses.
func (r *IPRange) scan(base, n uint64) uint64 {
	i := r.rnd.Uint64N(n)
	for {
		if _, taken := r.used[base+i]; !taken {
			r.take(base + i)
			return i
		}
		i++
		if i == n {
			i = 0
		}
	}
}

// Release frees a. Releasing a free address, or one the range cannot hold, is a no-op, as
// upstream.
func (r *IPRange) Release(a netip.Addr) {
	off, err := r.offsetOf(a)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.used[off]; !taken {
		return
	}
	delete(r.used, off)
	if off < r.offset {
		r.lower--
	}
}

// Has reports whether a is taken (so that Allocate(a) would return ErrAllocated).
func (r *IPRange) Has(a netip.Addr) bool {
	off, err := r.offsetOf(a)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, taken := r.used[off]
	return taken
}

// Contains reports whether a is a usable address of the range (taken or not).
func (r *IPRange) Contains(a netip.Addr) bool {
	_, err := r.offsetOf(a)
	return err == nil
}

// Used returns how many addresses are taken.
func (r *IPRange) Used() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.used)
}

// Free returns how many addresses are not taken, capped at math.MaxInt as upstream.
func (r *IPRange) Free() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	free := r.size - uint64(len(r.used))
	if free > math.MaxInt {
		return math.MaxInt
	}
	return int(free)
}

// Size returns how many usable addresses the range has, capped at math.MaxInt.
func (r *IPRange) Size() int {
	if r.size > math.MaxInt {
		return math.MaxInt
	}
	return int(r.size)
}

// Allocated returns the taken addresses in ascending order.
func (r *IPRange) Allocated() []netip.Addr {
	r.mu.Lock()
	offs := make([]uint64, 0, len(r.used))
	for off := range r.used {
		offs = append(offs, off)
	}
	r.mu.Unlock()
	slices.Sort(offs)
	out := make([]netip.Addr, len(offs))
	for i, off := range offs {
		out[i] = r.addr(off)
	}
	return out
}
