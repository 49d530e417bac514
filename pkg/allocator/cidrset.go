package allocator

import (
	"fmt"
	"net/netip"
	"sync"
)

// clusterSubnetMaxDiff is upstream's limit on node mask minus cluster mask for IPv6.
const clusterSubnetMaxDiff = 16

// CIDRSet hands out equal-sized sub-prefixes (node pod CIDRs) of one cluster CIDR, of one IP
// family, like kube-controller-manager's cidrset: AllocateNext is sequential and round-robin,
// starting after the last CIDR it handed out and wrapping at the end, so a released CIDR is
// reused only after a wrap. It is safe for concurrent use.
type CIDRSet struct {
	cluster  netip.Prefix
	maskSize int
	max      uint64 // number of sub-CIDRs

	mu            sync.Mutex
	used          map[uint64]struct{} // indices of taken sub-CIDRs
	nextCandidate uint64
}

// NewCIDRSet returns a CIDRSet of the /maskSize sub-prefixes of cluster (which is masked
// first). maskSize must be at least cluster's length and at most the family's bit length; for
// IPv6 it may be at most 16 bits longer than cluster's (ErrCIDRSetSubNetTooBig). Upstream has
// no such limit for IPv4; here an IPv4 set may be at most 2^32 CIDRs, which is all of them.
func NewCIDRSet(cluster netip.Prefix, maskSize int) (*CIDRSet, error) {
	if !cluster.IsValid() {
		return nil, fmt.Errorf("invalid cluster CIDR %v", cluster)
	}
	cluster = cluster.Masked()
	if maskSize < cluster.Bits() || maskSize > cluster.Addr().BitLen() {
		return nil, fmt.Errorf("invalid node CIDR mask size %d for cluster CIDR %v: it must be between %d and %d",
			maskSize, cluster, cluster.Bits(), cluster.Addr().BitLen())
	}
	diff := maskSize - cluster.Bits()
	if cluster.Addr().Is6() && diff > clusterSubnetMaxDiff {
		return nil, ErrCIDRSetSubNetTooBig
	}
	return &CIDRSet{
		cluster:  cluster,
		maskSize: maskSize,
		max:      uint64(1) << uint(diff),
		used:     make(map[uint64]struct{}),
	}, nil
}

// Cluster returns the (masked) cluster CIDR the set divides.
func (s *CIDRSet) Cluster() netip.Prefix { return s.cluster }

// MaskSize returns the length of the prefixes the set hands out.
func (s *CIDRSet) MaskSize() int { return s.maskSize }

// Size returns how many sub-CIDRs the set holds in all.
func (s *CIDRSet) Size() int { return int(s.max) }

func (s *CIDRSet) indexToPrefix(i uint64) netip.Prefix {
	host := uint(s.cluster.Addr().BitLen() - s.maskSize)
	a := u128From(s.cluster.Addr()).add(u128{lo: i}.shl(host)).addr(s.cluster.Addr().Is4())
	return netip.PrefixFrom(a, s.maskSize)
}

// indexOf returns the index of the sub-CIDR holding a, which must be in s.cluster.
func (s *CIDRSet) indexOf(a netip.Addr) uint64 {
	host := uint(s.cluster.Addr().BitLen() - s.maskSize)
	return u128From(a).sub(u128From(s.cluster.Addr())).shr(host).lo
}

// AllocateNext takes and returns the next free sub-CIDR, searching forward from the one after
// the last it handed out and wrapping. It returns ErrCIDRRangeNoCIDRsRemaining (which matches
// ErrFull) when all are taken.
func (s *CIDRSet) AllocateNext() (netip.Prefix, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if uint64(len(s.used)) >= s.max {
		return netip.Prefix{}, ErrCIDRRangeNoCIDRsRemaining
	}
	c := s.nextCandidate
	for {
		if _, taken := s.used[c]; !taken {
			break
		}
		c = (c + 1) % s.max
	}
	s.used[c] = struct{}{}
	s.nextCandidate = (c + 1) % s.max
	return s.indexToPrefix(c), nil
}

// span returns the indices [begin, end] of the sub-CIDRs p covers, as upstream's
// getBeginningAndEndIndices: a prefix longer than the node mask marks the sub-CIDR holding
// it, a prefix as long as the cluster CIDR or shorter (containing it) marks them all.
func (s *CIDRSet) span(p netip.Prefix) (begin, end uint64, err error) {
	if !p.IsValid() || p.Addr().Is4() != s.cluster.Addr().Is4() || !p.Overlaps(s.cluster) {
		return 0, 0, fmt.Errorf("cidr %v is out the range of cluster cidr %v", p, s.cluster)
	}
	p = p.Masked()
	if p.Bits() <= s.cluster.Bits() {
		return 0, s.max - 1, nil
	}
	return s.indexOf(p.Addr()), s.indexOf(lastAddr(p)), nil
}

// Occupy marks the sub-CIDRs that p covers as taken, whether or not they already were; it is
// how a restarted controller relearns the podCIDRs of existing Nodes (and reserves the part
// of the Service CIDR that overlaps the cluster CIDR). It fails only if p does not overlap
// the cluster CIDR. Occupy does not move the round-robin position.
func (s *CIDRSet) Occupy(p netip.Prefix) error {
	begin, end, err := s.span(p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := begin; ; i++ {
		s.used[i] = struct{}{}
		if i == end {
			break
		}
	}
	return nil
}

// Release frees the sub-CIDRs that p covers; releasing a free one is a no-op. It fails only if
// p does not overlap the cluster CIDR.
func (s *CIDRSet) Release(p netip.Prefix) error {
	begin, end, err := s.span(p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := begin; ; i++ {
		delete(s.used, i)
		if i == end {
			break
		}
	}
	return nil
}

// Has reports whether the sub-CIDR holding p's address is taken (false if outside the set).
func (s *CIDRSet) Has(p netip.Prefix) bool {
	if !p.IsValid() || !s.cluster.Contains(p.Addr()) || p.Bits() < s.maskSize {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.used[s.indexOf(p.Addr())]
	return ok
}

// Free returns how many sub-CIDRs are not taken.
func (s *CIDRSet) Free() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.max - uint64(len(s.used)))
}

// Used returns how many sub-CIDRs are taken.
func (s *CIDRSet) Used() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.used)
}
