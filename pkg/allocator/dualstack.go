package allocator

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Family is an IP family, spelled as the Kubernetes API spells it (core/v1 IPFamily), so
// Family(svc.Spec.IPFamilies[i]) converts directly.
type Family string

const (
	IPv4 Family = "IPv4"
	IPv6 Family = "IPv6"
)

// FamilyOf returns the family of a (IPv4-mapped IPv6 addresses are IPv4), or "" if a is
// invalid.
func FamilyOf(a netip.Addr) Family {
	switch {
	case !a.IsValid():
		return ""
	case a.Unmap().Is4():
		return IPv4
	default:
		return IPv6
	}
}

// FamilyError reports which entry of a dual-stack allocation failed. Err is the allocator's
// error (ErrFull, ErrAllocated, *NotInRangeError), reachable with errors.Is/As; Error()
// returns Err's text unchanged so callers can add upstream's wording
// ("failed to allocate IP %v: %v") themselves.
type FamilyError struct {
	Index  int
	Family Family
	Addr   netip.Addr // the requested address; invalid for a dynamic allocation
	Err    error
}

func (e *FamilyError) Error() string { return e.Err.Error() }
func (e *FamilyError) Unwrap() error { return e.Err }

// IPRanges is the Service CIDRs of a cluster, one IPRange per family, the primary (default)
// family first; it has one or two entries of different families.
type IPRanges []*IPRange

// NewIPRanges builds one IPRange per CIDR; two CIDRs must be of different families. The
// ranges share nothing; each gets its own rand seeded from seed (nil: randomly seeded).
func NewIPRanges(cidrs []netip.Prefix, seed *rand.Rand) (IPRanges, error) {
	if len(cidrs) == 0 || len(cidrs) > 2 {
		return nil, fmt.Errorf("need one or two service CIDRs, got %d", len(cidrs))
	}
	if len(cidrs) == 2 && cidrs[0].Addr().Is4() == cidrs[1].Addr().Is4() {
		return nil, fmt.Errorf("service CIDRs %v and %v must be of different IP families", cidrs[0], cidrs[1])
	}
	rs := make(IPRanges, len(cidrs))
	for i, c := range cidrs {
		var rnd *rand.Rand
		if seed != nil {
			rnd = rand.New(rand.NewPCG(seed.Uint64(), seed.Uint64()))
		}
		r, err := NewIPRange(c, rnd)
		if err != nil {
			return nil, err
		}
		rs[i] = r
	}
	return rs, nil
}

// Primary returns the range of the default family, or nil if rs is empty.
func (rs IPRanges) Primary() *IPRange {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}

// IsDualStack reports whether rs has a range for each family.
func (rs IPRanges) IsDualStack() bool {
	return rs.Family(IPv4) != nil && rs.Family(IPv6) != nil
}

// Family returns the range of family f, or nil.
func (rs IPRanges) Family(f Family) *IPRange {
	for _, r := range rs {
		if r.Family() == f {
			return r
		}
	}
	return nil
}

// ForFamily returns the range of a's family, or nil.
func (rs IPRanges) ForFamily(a netip.Addr) *IPRange {
	return rs.Family(FamilyOf(a))
}

// Allocate takes, for each family in order, want[i] if it is valid and a dynamic address
// otherwise (want may be shorter than families). It is all-or-nothing: if any entry fails,
// what was taken is released and the *FamilyError names the entry. A family without a range
// fails with *NotInRangeError ("the provided network does not match the current range") for
// a requested address and ErrFull for a dynamic one; callers validate families first.
func (rs IPRanges) Allocate(families []Family, want []netip.Addr) ([]netip.Addr, error) {
	got := make([]netip.Addr, 0, len(families))
	fail := func(i int, f Family, a netip.Addr, err error) ([]netip.Addr, error) {
		rs.Release(got)
		return nil, &FamilyError{Index: i, Family: f, Addr: a, Err: err}
	}
	for i, f := range families {
		var a netip.Addr
		if i < len(want) {
			a = want[i]
		}
		r := rs.Family(f)
		if a.IsValid() {
			if FamilyOf(a) != f || r == nil {
				return fail(i, f, a, &NotInRangeError{Addr: a})
			}
			if err := r.Allocate(a); err != nil {
				return fail(i, f, a, err)
			}
			got = append(got, a.Unmap())
			continue
		}
		if r == nil {
			return fail(i, f, a, ErrFull)
		}
		next, err := r.AllocateNext()
		if err != nil {
			return fail(i, f, a, err)
		}
		got = append(got, next)
	}
	return got, nil
}

// Release frees each address in the range of its family; unknown ones are ignored.
func (rs IPRanges) Release(addrs []netip.Addr) {
	for _, a := range addrs {
		if r := rs.ForFamily(a); r != nil {
			r.Release(a)
		}
	}
}

// CIDRSets is the cluster CIDRs of node IPAM, one CIDRSet per family in --cluster-cidr order
// (the first is the primary family).
type CIDRSets []*CIDRSet

// AllocateNext takes one sub-CIDR from every set, in order, all-or-nothing: if one set is
// exhausted, the others' are released and its error is returned (a *FamilyError wrapping
// ErrCIDRRangeNoCIDRsRemaining).
func (ss CIDRSets) AllocateNext() ([]netip.Prefix, error) {
	got := make([]netip.Prefix, 0, len(ss))
	for i, s := range ss {
		p, err := s.AllocateNext()
		if err != nil {
			for j, q := range got {
				_ = ss[j].Release(q) // q came from ss[j]; cannot fail
			}
			return nil, &FamilyError{Index: i, Family: FamilyOf(s.cluster.Addr()), Err: err}
		}
		got = append(got, p)
	}
	return got, nil
}

// Occupy marks each prefix in the set of its family (as read back from a Node's podCIDRs).
func (ss CIDRSets) Occupy(prefixes []netip.Prefix) error {
	for _, p := range prefixes {
		s := ss.forPrefix(p)
		if s == nil {
			return fmt.Errorf("cidr %v is out the range of the cluster cidrs", p)
		}
		if err := s.Occupy(p); err != nil {
			return err
		}
	}
	return nil
}

// Release frees each prefix in the set of its family.
func (ss CIDRSets) Release(prefixes []netip.Prefix) error {
	for _, p := range prefixes {
		s := ss.forPrefix(p)
		if s == nil {
			return fmt.Errorf("cidr %v is out the range of the cluster cidrs", p)
		}
		if err := s.Release(p); err != nil {
			return err
		}
	}
	return nil
}

func (ss CIDRSets) forPrefix(p netip.Prefix) *CIDRSet {
	for _, s := range ss {
		if p.IsValid() && s.cluster.Addr().Is4() == p.Addr().Is4() {
			return s
		}
	}
	return nil
}
