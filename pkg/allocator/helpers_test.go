package allocator

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// newTestIPRange builds an IPRange with a fixed seed and checks its invariants on cleanup.
func newTestIPRange(tb testing.TB, cidr string, seed uint64) *IPRange {
	tb.Helper()
	r, err := NewIPRange(netip.MustParsePrefix(cidr), seeded(seed))
	if err != nil {
		tb.Fatalf("NewIPRange(%s): %v", cidr, err)
	}
	tb.Cleanup(func() { checkIPRange(tb, r) })
	return r
}

func checkIPRange(tb testing.TB, r *IPRange) {
	tb.Helper()
	all := r.Allocated()
	if len(all) != r.Used() {
		tb.Errorf("%v: Allocated() has %d addresses, Used() = %d", r.Prefix(), len(all), r.Used())
	}
	if r.Size() < 1<<40 && r.Used()+r.Free() != r.Size() {
		tb.Errorf("%v: Used %d + Free %d != Size %d", r.Prefix(), r.Used(), r.Free(), r.Size())
	}
	for _, a := range all {
		if !r.Contains(a) || !r.Has(a) {
			tb.Errorf("%v: allocated %v is not a usable, taken address", r.Prefix(), a)
		}
	}
}

func newTestPorts(tb testing.TB, spec string, seed uint64) *PortAllocator {
	tb.Helper()
	pr, err := ParsePortRange(spec)
	if err != nil {
		tb.Fatalf("ParsePortRange(%q): %v", spec, err)
	}
	a, err := NewPortAllocator(pr, seeded(seed))
	if err != nil {
		tb.Fatalf("NewPortAllocator(%v): %v", pr, err)
	}
	tb.Cleanup(func() {
		n := 0
		for p := pr.Base; p < pr.Base+pr.Size; p++ {
			if a.Has(p) {
				n++
			}
		}
		if n != a.Used() || a.Used()+a.Free() != pr.Size {
			tb.Errorf("%v: %d ports taken, Used %d, Free %d", pr, n, a.Used(), a.Free())
		}
	})
	return a
}

func newTestCIDRSet(tb testing.TB, cidr string, mask int) *CIDRSet {
	tb.Helper()
	s, err := NewCIDRSet(netip.MustParsePrefix(cidr), mask)
	if err != nil {
		tb.Fatalf("NewCIDRSet(%s, %d): %v", cidr, mask, err)
	}
	tb.Cleanup(func() {
		if s.Used()+s.Free() != s.Size() {
			tb.Errorf("%v: Used %d + Free %d != Size %d", s.Cluster(), s.Used(), s.Free(), s.Size())
		}
	})
	return s
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
