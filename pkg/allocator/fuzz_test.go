package allocator

import (
	"errors"
	"net/netip"
	"testing"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// The fuzz targets run the allocators against slow, obvious reference models (maps walked
// address by address), as net/netip's slow_test.go does, and fail on the first difference.

// refIPRange is the reference: every usable address listed in order, the static band its
// first `static` entries.
type refIPRange struct {
	prefix netip.Prefix
	usable []netip.Addr
	index  map[netip.Addr]int
	static int
	taken  map[netip.Addr]bool
}

func newRefIPRange(p netip.Prefix) *refIPRange {
	r := &refIPRange{prefix: p, index: map[netip.Addr]int{}, taken: map[netip.Addr]bool{}}
	var all []netip.Addr
	for a := p.Addr(); p.Contains(a); a = a.Next() {
		all = append(all, a)
	}
	all = all[1:] // network address
	if p.Addr().Is4() && len(all) > 0 {
		all = all[:len(all)-1] // broadcast
	}
	r.usable = all
	for i, a := range all {
		r.index[a] = i
	}
	cidrSize := 1 << (p.Addr().BitLen() - p.Bits())
	if (p.Addr().Is4() && p.Bits() >= 31) || (p.Addr().Is6() && p.Bits() >= 127) {
		cidrSize = 0
	}
	if cidrSize > 16 {
		r.static = cidrSize / 16
		if r.static < 16 {
			r.static = 16
		}
		if r.static > 256 {
			r.static = 256
		}
	}
	return r
}

func (r *refIPRange) freeIn(lo, hi int) bool {
	for _, a := range r.usable[lo:hi] {
		if !r.taken[a] {
			return true
		}
	}
	return false
}

func FuzzIPRange(f *testing.F) {
	f.Add(uint64(1), false, uint8(28), []byte{0, 0, 1, 5, 1, 5, 2, 5, 0, 3, 7})
	f.Add(uint64(2), true, uint8(124), []byte{0, 0, 1, 5, 1, 5, 2, 5, 0, 3, 7})
	f.Add(uint64(3), false, uint8(26), []byte{1, 0, 1, 63, 1, 64, 0, 0, 0, 0})
	f.Add(uint64(4), true, uint8(122), []byte{1, 0, 1, 63, 1, 64, 0, 0, 0, 0})
	f.Add(uint64(5), false, uint8(31), []byte{0, 1, 0, 1, 1})
	f.Add(uint64(6), true, uint8(127), []byte{0, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, seed uint64, v6 bool, bits uint8, ops []byte) {
		var p netip.Prefix
		if v6 {
			p = netip.PrefixFrom(netip.MustParseAddr("fd00:10:96::"), 118+int(bits)%11)
		} else {
			p = netip.PrefixFrom(netip.MustParseAddr("10.96.0.0"), 22+int(bits)%11)
		}
		r, err := NewIPRange(p, seeded(seed))
		if err != nil {
			t.Fatal(err)
		}
		ref := newRefIPRange(p)
		if r.Size() != len(ref.usable) || r.StaticBand() != ref.static {
			t.Fatalf("%v: Size %d StaticBand %d, want %d %d", p, r.Size(), r.StaticBand(), len(ref.usable), ref.static)
		}
		// addrAt maps a byte to an address around the prefix: before, inside, after it.
		addrAt := func(b byte) netip.Addr {
			a := p.Addr()
			for range 3 {
				a = a.Prev()
			}
			for range int(b) * (len(ref.usable) + 8) / 256 {
				a = a.Next()
			}
			return a
		}
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 4
			var arg byte
			if op != 0 && i+1 < len(ops) {
				i++
				arg = ops[i]
			}
			switch op {
			case 0:
				a, err := r.AllocateNext()
				n := len(ref.usable)
				switch {
				case ref.freeIn(ref.static, n):
					j, ok := ref.index[a]
					if err != nil || !ok || j < ref.static || ref.taken[a] {
						t.Fatalf("AllocateNext = %v, %v; want a free dynamic-band address", a, err)
					}
					ref.taken[a] = true
				case ref.freeIn(0, ref.static):
					j, ok := ref.index[a]
					if err != nil || !ok || j >= ref.static || ref.taken[a] {
						t.Fatalf("AllocateNext = %v, %v; want a free static-band address", a, err)
					}
					ref.taken[a] = true
				default:
					if !errors.Is(err, ErrFull) || a.IsValid() {
						t.Fatalf("AllocateNext = %v, %v; want ErrFull", a, err)
					}
				}
			case 1:
				a := addrAt(arg)
				err := r.Allocate(a)
				_, usable := ref.index[a]
				var want string
				switch {
				case !p.Contains(a):
					want = "the provided network does not match the current range"
				case !usable:
					want = "the provided IP (" + a.String() + ") is not in the valid range. The range of valid IPs is " + p.String()
				case ref.taken[a]:
					want = "provided IP is already allocated"
				default:
					ref.taken[a] = true
				}
				if errText(err) != want {
					t.Fatalf("Allocate(%v) = %q, want %q", a, errText(err), want)
				}
			case 2:
				a := addrAt(arg)
				r.Release(a)
				delete(ref.taken, a)
			case 3:
				a := addrAt(arg)
				if r.Has(a) != ref.taken[a] {
					t.Fatalf("Has(%v) = %v, want %v", a, r.Has(a), ref.taken[a])
				}
			}
			if r.Used() != len(ref.taken) || r.Free() != len(ref.usable)-len(ref.taken) {
				t.Fatalf("Used %d Free %d, reference has %d of %d taken", r.Used(), r.Free(), len(ref.taken), len(ref.usable))
			}
		}
	})
}

func FuzzPortRange(f *testing.F) {
	for _, s := range []string{"30000-32767", "30000+2767", "80", "", " 1-2 ", "1-2+3", "-5", "5-x", "65535-65536", "100-99", "0+0", "1++5", "9223372036854775807+1"} {
		f.Add(s, uint64(1), []byte{0, 0, 1, 3, 2, 3, 0})
	}
	f.Fuzz(func(t *testing.T, spec string, seed uint64, ops []byte) {
		// Reference parser: apimachinery's own.
		var want utilnet.PortRange
		wantErr := want.Set(spec)
		got, err := ParsePortRange(spec)
		if errText(err) != errText(wantErr) {
			t.Fatalf("ParsePortRange(%q) error %q, apimachinery %q", spec, errText(err), errText(wantErr))
		}
		if err != nil {
			return
		}
		if got.Base != want.Base || got.Size != want.Size || got.String() != want.String() {
			t.Fatalf("ParsePortRange(%q) = %+v %q, apimachinery %+v %q", spec, got, got, want, want.String())
		}
		if got.Size > 4096 || got.Base < 0 {
			return
		}
		a, err := NewPortAllocator(got, seeded(seed))
		if err != nil {
			t.Fatal(err)
		}
		static := 0
		if got.Size > 16 {
			static = min(max(16, got.Size/32), 128)
		}
		taken := map[int]bool{}
		freeIn := func(lo, hi int) bool {
			for p := got.Base + lo; p < got.Base+hi; p++ {
				if !taken[p] {
					return true
				}
			}
			return false
		}
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 4
			var arg int
			if op != 0 && i+1 < len(ops) {
				i++
				arg = got.Base - 2 + int(ops[i])*(got.Size+4)/256
			}
			switch op {
			case 0:
				p, err := a.AllocateNext()
				switch {
				case freeIn(static, got.Size):
					if err != nil || taken[p] || p-got.Base < static || !got.Contains(p) {
						t.Fatalf("AllocateNext = %d, %v; want a free dynamic-band port", p, err)
					}
					taken[p] = true
				case freeIn(0, static):
					if err != nil || taken[p] || p-got.Base >= static || !got.Contains(p) {
						t.Fatalf("AllocateNext = %d, %v; want a free static-band port", p, err)
					}
					taken[p] = true
				default:
					if !errors.Is(err, ErrFull) {
						t.Fatalf("AllocateNext = %d, %v; want ErrFull", p, err)
					}
				}
			case 1:
				err := a.Allocate(arg)
				var want string
				switch {
				case !got.Contains(arg):
					want = "provided port is not in the valid range. The range of valid ports is " + got.String()
				case taken[arg]:
					want = "provided port is already allocated"
				default:
					taken[arg] = true
				}
				if errText(err) != want {
					t.Fatalf("Allocate(%d) = %q, want %q", arg, errText(err), want)
				}
			case 2:
				a.Release(arg)
				delete(taken, arg)
			case 3:
				if a.Has(arg) != taken[arg] {
					t.Fatalf("Has(%d) = %v, want %v", arg, a.Has(arg), taken[arg])
				}
			}
			if a.Used() != len(taken) || a.Free() != got.Size-len(taken) {
				t.Fatalf("Used %d Free %d, reference %d of %d", a.Used(), a.Free(), len(taken), got.Size)
			}
		}
	})
}

func FuzzCIDRSet(f *testing.F) {
	f.Add(false, uint8(0), uint8(2), []byte{0, 0, 1, 9, 0, 0, 0, 0, 2, 9, 0})
	f.Add(true, uint8(0), uint8(2), []byte{0, 0, 1, 9, 0, 0, 0, 0, 2, 9, 0})
	f.Add(false, uint8(3), uint8(4), []byte{1, 200, 3, 7, 0, 0, 2, 100})
	f.Add(true, uint8(3), uint8(4), []byte{1, 200, 3, 7, 0, 0, 2, 100})
	f.Fuzz(func(t *testing.T, v6 bool, clusterBits, diff uint8, ops []byte) {
		var cluster netip.Prefix
		if v6 {
			cluster = netip.PrefixFrom(netip.MustParseAddr("fd00:10:244::"), 116+int(clusterBits)%9)
		} else {
			cluster = netip.PrefixFrom(netip.MustParseAddr("10.244.0.0"), 20+int(clusterBits)%9)
		}
		mask := min(cluster.Bits()+int(diff)%6, cluster.Addr().BitLen())
		s, err := NewCIDRSet(cluster, mask)
		if err != nil {
			t.Fatal(err)
		}
		// Reference: the sub-prefixes in order, found by walking every address.
		var subs []netip.Prefix
		for a := cluster.Addr(); cluster.Contains(a); a = a.Next() {
			if q := netip.PrefixFrom(a, mask).Masked(); len(subs) == 0 || subs[len(subs)-1] != q {
				subs = append(subs, q)
			}
		}
		if s.Size() != len(subs) {
			t.Fatalf("Size %d, want %d", s.Size(), len(subs))
		}
		used := make([]bool, len(subs))
		next := 0
		nUsed := func() int {
			n := 0
			for _, u := range used {
				if u {
					n++
				}
			}
			return n
		}
		// prefixAt maps two bytes to a prefix near the cluster CIDR.
		prefixAt := func(b1, b2 byte) netip.Prefix {
			a := cluster.Addr()
			for range 4 {
				a = a.Prev()
			}
			for range int(b1) * (1<<(a.BitLen()-cluster.Bits()) + 8) / 256 {
				a = a.Next()
			}
			bits := max(0, cluster.Bits()-2+int(b2)%(mask-cluster.Bits()+5))
			return netip.PrefixFrom(a, min(bits, a.BitLen())).Masked()
		}
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 3
			var p netip.Prefix
			if op != 0 {
				var b1, b2 byte
				if i+1 < len(ops) {
					i++
					b1 = ops[i]
				}
				if i+1 < len(ops) {
					i++
					b2 = ops[i]
				}
				p = prefixAt(b1, b2)
			}
			switch op {
			case 0:
				got, err := s.AllocateNext()
				want := -1
				for k := range len(subs) {
					if c := (next + k) % len(subs); !used[c] {
						want = c
						break
					}
				}
				if want < 0 {
					if !errors.Is(err, ErrCIDRRangeNoCIDRsRemaining) {
						t.Fatalf("AllocateNext = %v, %v; want no CIDRs remaining", got, err)
					}
					continue
				}
				if err != nil || got != subs[want] {
					t.Fatalf("AllocateNext = %v, %v; want %v", got, err, subs[want])
				}
				used[want] = true
				next = (want + 1) % len(subs)
			case 1, 2:
				var err error
				if op == 1 {
					err = s.Occupy(p)
				} else {
					err = s.Release(p)
				}
				if !p.Overlaps(cluster) {
					if err == nil {
						t.Fatalf("op %d on %v outside %v succeeded", op, p, cluster)
					}
					continue
				}
				if err != nil {
					t.Fatalf("op %d on %v: %v", op, p, err)
				}
				for k, q := range subs {
					if q.Overlaps(p) {
						used[k] = op == 1
					}
				}
			}
			if s.Used() != nUsed() || s.Free() != len(subs)-nUsed() {
				t.Fatalf("Used %d Free %d, reference %d of %d", s.Used(), s.Free(), nUsed(), len(subs))
			}
			for k, q := range subs {
				if s.Has(q) != used[k] {
					t.Fatalf("Has(%v) = %v, want %v", q, s.Has(q), used[k])
				}
			}
		}
	})
}
