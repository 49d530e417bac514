package allocator

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
)

// newTestAddrPool builds an AddrPool and checks its invariants on cleanup.
func newTestAddrPool(tb testing.TB, cidr string) *AddrPool {
	tb.Helper()
	p, err := NewAddrPool(netip.MustParsePrefix(cidr))
	if err != nil {
		tb.Fatalf("NewAddrPool(%s): %v", cidr, err)
	}
	tb.Cleanup(func() { checkAddrPool(tb, p) })
	return p
}

func checkAddrPool(tb testing.TB, p *AddrPool) {
	tb.Helper()
	all := p.Allocated()
	if len(all) != p.Used() {
		tb.Errorf("%v: Allocated() has %d addresses, Used() = %d", p.Prefix(), len(all), p.Used())
	}
	if p.Size() < 1<<40 && p.Used()+p.Free() != p.Size() {
		tb.Errorf("%v: Used %d + Free %d != Size %d", p.Prefix(), p.Used(), p.Free(), p.Size())
	}
	for _, a := range all {
		if !p.Contains(a) || !p.Has(a) || !p.Prefix().Contains(a) {
			tb.Errorf("%v: allocated %v is not a usable, taken address of the range", p.Prefix(), a)
		}
	}
}

func TestNewAddrPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cidr        string
		wantErr     string
		size        int
		first, last string // first and last address handed out when allocating all
	}{
		{name: "v4 /24 default", cidr: "172.18.255.0/24", size: 254, first: "172.18.255.1", last: "172.18.255.254"},
		{name: "v6 /112 default", cidr: "fc00:f853:ccd:e793:ffff::/112", size: 65535, first: "fc00:f853:ccd:e793:ffff::1", last: "fc00:f853:ccd:e793:ffff::ffff"},
		{name: "v4 /30", cidr: "192.0.2.0/30", size: 2, first: "192.0.2.1", last: "192.0.2.2"},
		{name: "v6 /126", cidr: "2001:db8::/126", size: 3, first: "2001:db8::1", last: "2001:db8::3"},
		{name: "v4 /31 both addresses", cidr: "192.0.2.6/31", size: 2, first: "192.0.2.6", last: "192.0.2.7"},
		{name: "v6 /127 both addresses", cidr: "2001:db8::6/127", size: 2, first: "2001:db8::6", last: "2001:db8::7"},
		{name: "v4 /32 single address", cidr: "192.0.2.9/32", size: 1, first: "192.0.2.9", last: "192.0.2.9"},
		{name: "v6 /128 single address", cidr: "2001:db8::9/128", size: 1, first: "2001:db8::9", last: "2001:db8::9"},
		{name: "v4 unmasked is masked", cidr: "10.1.2.3/29", size: 6, first: "10.1.2.1", last: "10.1.2.6"},
		{name: "v6 unmasked is masked", cidr: "2001:db8::3/125", size: 7, first: "2001:db8::1", last: "2001:db8::7"},
		{name: "v6 /64 largest", cidr: "2001:db8:1:2::/64", size: int(^uint(0) >> 1), first: "2001:db8:1:2::1"},
		{name: "v6 /63 too large", cidr: "2001:db8::/63", wantErr: "invalid IP range 2001:db8::/63: an IPv6 range must be a /64 or longer"},
		{name: "v4-mapped rejected", cidr: "::ffff:10.0.0.0/120", wantErr: "invalid IP range ::ffff:10.0.0.0/120: IPv4-mapped IPv6 prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewAddrPool(netip.MustParsePrefix(tc.cidr))
			if errText(err) != tc.wantErr {
				t.Fatalf("NewAddrPool(%s) error = %q, want %q", tc.cidr, errText(err), tc.wantErr)
			}
			if err != nil {
				return
			}
			t.Cleanup(func() { checkAddrPool(t, p) })
			if p.Size() != tc.size || p.Used() != 0 {
				t.Errorf("Size %d Used %d, want size %d, none used", p.Size(), p.Used(), tc.size)
			}
			first, err := p.AllocateNext()
			if err != nil || first.String() != tc.first {
				t.Fatalf("first AllocateNext() = %v, %v; want %s", first, err, tc.first)
			}
			if tc.last == "" {
				return
			}
			last := first
			for range tc.size - 1 {
				if last, err = p.AllocateNext(); err != nil {
					t.Fatalf("AllocateNext() after %v: %v", last, err)
				}
			}
			if last.String() != tc.last {
				t.Errorf("last address handed out = %v, want %s", last, tc.last)
			}
			if a, err := p.AllocateNext(); !errors.Is(err, ErrFull) {
				t.Errorf("AllocateNext() on a full pool = %v, %v; want ErrFull", a, err)
			}
		})
	}
}

func TestAddrPoolLowestFree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cidr string
		// ops: "+" allocates the next address, "-a" releases a, "=a" allocates a.
		ops  []string
		want []string // the address each "+" returned, in order
	}{
		{
			name: "v4 sequential, released address reused first",
			cidr: "192.0.2.0/29",
			ops:  []string{"+", "+", "+", "-192.0.2.2", "+", "+"},
			want: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.2", "192.0.2.4"},
		},
		{
			name: "v6 sequential, released address reused first",
			cidr: "2001:db8::/125",
			ops:  []string{"+", "+", "+", "-2001:db8::2", "+", "+"},
			want: []string{"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::2", "2001:db8::4"},
		},
		{
			name: "v4 requested addresses are skipped",
			cidr: "192.0.2.0/29",
			ops:  []string{"=192.0.2.1", "=192.0.2.3", "+", "+", "-192.0.2.1", "+"},
			want: []string{"192.0.2.2", "192.0.2.4", "192.0.2.1"},
		},
		{
			name: "v6 requested addresses are skipped",
			cidr: "2001:db8::/125",
			ops:  []string{"=2001:db8::1", "=2001:db8::3", "+", "+", "-2001:db8::1", "+"},
			want: []string{"2001:db8::2", "2001:db8::4", "2001:db8::1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newTestAddrPool(t, tc.cidr)
			var got []string
			for _, op := range tc.ops {
				switch op[0] {
				case '+':
					a, err := p.AllocateNext()
					if err != nil {
						t.Fatalf("AllocateNext(): %v", err)
					}
					got = append(got, a.String())
				case '-':
					p.Release(netip.MustParseAddr(op[1:]))
				case '=':
					if err := p.Allocate(netip.MustParseAddr(op[1:])); err != nil {
						t.Fatalf("Allocate(%s): %v", op[1:], err)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("handed out %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAddrPoolAllocateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cidr    string
		ip      string
		wantErr string
		target  error // errors.Is target, or nil for *NotInRangeError
	}{
		{name: "v4 taken", cidr: "192.0.2.0/24", ip: "192.0.2.10", wantErr: "provided IP is already allocated", target: ErrAllocated},
		{name: "v6 taken", cidr: "2001:db8::/120", ip: "2001:db8::10", wantErr: "provided IP is already allocated", target: ErrAllocated},
		{name: "v4 outside", cidr: "192.0.2.0/24", ip: "198.51.100.1", wantErr: "the provided network does not match the current range"},
		{name: "v6 outside", cidr: "2001:db8::/120", ip: "2001:db8::1:1", wantErr: "the provided network does not match the current range"},
		{name: "v4 in v6 pool", cidr: "2001:db8::/120", ip: "192.0.2.1", wantErr: "the provided network does not match the current range"},
		{name: "v6 in v4 pool", cidr: "192.0.2.0/24", ip: "2001:db8::1", wantErr: "the provided network does not match the current range"},
		{name: "v4 network address", cidr: "192.0.2.0/24", ip: "192.0.2.0", wantErr: "the provided IP (192.0.2.0) is not in the valid range. The range of valid IPs is 192.0.2.0/24"},
		{name: "v6 network address", cidr: "2001:db8::/120", ip: "2001:db8::", wantErr: "the provided IP (2001:db8::) is not in the valid range. The range of valid IPs is 2001:db8::/120"},
		{name: "v4 broadcast address", cidr: "192.0.2.0/24", ip: "192.0.2.255", wantErr: "the provided IP (192.0.2.255) is not in the valid range. The range of valid IPs is 192.0.2.0/24"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newTestAddrPool(t, tc.cidr)
			a := netip.MustParseAddr(tc.ip)
			if tc.target != nil {
				if err := p.Allocate(a); err != nil {
					t.Fatalf("first Allocate(%v): %v", a, err)
				}
			}
			err := p.Allocate(a)
			if errText(err) != tc.wantErr {
				t.Fatalf("Allocate(%v) = %q, want %q", a, errText(err), tc.wantErr)
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.target)
			}
			var nir *NotInRangeError
			if tc.target == nil && !errors.As(err, &nir) {
				t.Errorf("error %T is not a *NotInRangeError", err)
			}
		})
	}
}

func TestAddrPoolMappedAddress(t *testing.T) {
	t.Parallel()
	p := newTestAddrPool(t, "192.0.2.0/24")
	mapped := netip.MustParseAddr("::ffff:192.0.2.7")
	if err := p.Allocate(mapped); err != nil {
		t.Fatalf("Allocate(%v): %v", mapped, err)
	}
	if !p.Has(netip.MustParseAddr("192.0.2.7")) {
		t.Errorf("IPv4-mapped %v was not taken as 192.0.2.7", mapped)
	}
	p.Release(mapped)
	if p.Used() != 0 {
		t.Errorf("Release(%v) left %d taken", mapped, p.Used())
	}
}

func TestNewAddrPools(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ranges   []string
		wantErr  string
		families []Family
	}{
		{name: "v4 only", ranges: []string{"172.18.255.0/24"}, families: []Family{IPv4}},
		{name: "v6 only", ranges: []string{"fc00::/112"}, families: []Family{IPv6}},
		{name: "v4 first", ranges: []string{"172.18.255.0/24", "fc00::/112"}, families: []Family{IPv4, IPv6}},
		{name: "v6 first", ranges: []string{"fc00::/112", "172.18.255.0/24"}, families: []Family{IPv6, IPv4}},
		{name: "two v4", ranges: []string{"172.18.255.0/24", "10.0.0.0/24"}, wantErr: "IP ranges 172.18.255.0/24 and 10.0.0.0/24 must be of different IP families"},
		{name: "two v6", ranges: []string{"fc00::/112", "fd00::/112"}, wantErr: "IP ranges fc00::/112 and fd00::/112 must be of different IP families"},
		{name: "none", wantErr: "need one or two IP ranges, got 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var prefixes []netip.Prefix
			for _, r := range tc.ranges {
				prefixes = append(prefixes, netip.MustParsePrefix(r))
			}
			ps, err := NewAddrPools(prefixes)
			if errText(err) != tc.wantErr {
				t.Fatalf("NewAddrPools(%v) error = %q, want %q", tc.ranges, errText(err), tc.wantErr)
			}
			var got []Family
			for _, p := range ps {
				got = append(got, p.Family())
				if ps.Family(p.Family()) != p {
					t.Errorf("Family(%s) is not the %s pool", p.Family(), p.Prefix())
				}
				first, err := p.AllocateNext()
				if err != nil {
					t.Fatalf("AllocateNext(): %v", err)
				}
				if ps.ForAddr(first) != p {
					t.Errorf("ForAddr(%v) is not the %s pool", first, p.Prefix())
				}
			}
			if !slices.Equal(got, tc.families) {
				t.Errorf("families %v, want %v", got, tc.families)
			}
		})
	}
}

// TestAddrPoolConcurrent hands out a whole pool from many goroutines at once: every address
// exactly once, and then ErrFull.
func TestAddrPoolConcurrent(t *testing.T) {
	t.Parallel()
	for _, cidr := range []string{"192.0.2.0/24", "2001:db8::/120"} {
		t.Run(cidr, func(t *testing.T) {
			t.Parallel()
			p := newTestAddrPool(t, cidr)
			var mu sync.Mutex
			seen := map[netip.Addr]bool{}
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for {
						a, err := p.AllocateNext()
						if errors.Is(err, ErrFull) {
							return
						}
						if err != nil {
							t.Errorf("AllocateNext(): %v", err)
							return
						}
						mu.Lock()
						if seen[a] {
							t.Errorf("%v handed out twice", a)
						}
						seen[a] = true
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(seen) != p.Size() {
				t.Errorf("handed out %d addresses, want %d", len(seen), p.Size())
			}
		})
	}
}

// FuzzAddrPool runs an AddrPool against a slow reference: every usable address listed by walking
// the prefix, lowest free found by scanning the list.
func FuzzAddrPool(f *testing.F) {
	f.Add(false, uint8(4), []byte{0, 0, 1, 3, 2, 3, 0, 0})
	f.Add(true, uint8(4), []byte{0, 0, 1, 3, 2, 3, 0, 0})
	f.Add(false, uint8(0), []byte{0, 0, 0})
	f.Add(true, uint8(1), []byte{2, 0, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, v6 bool, hostBits uint8, ops []byte) {
		host := int(hostBits) % 9 // pools of 1 to 256 addresses
		var p netip.Prefix
		if v6 {
			p = netip.PrefixFrom(netip.MustParseAddr("2001:db8::"), 128-host)
		} else {
			p = netip.PrefixFrom(netip.MustParseAddr("192.0.2.0"), 32-host)
		}
		pool, err := NewAddrPool(p)
		if err != nil {
			t.Fatal(err)
		}
		var usable []netip.Addr
		for a := p.Addr(); p.Contains(a); a = a.Next() {
			usable = append(usable, a)
		}
		if len(usable) > 2 {
			usable = usable[1:] // network address
			if !v6 {
				usable = usable[:len(usable)-1] // broadcast
			}
		}
		if pool.Size() != len(usable) {
			t.Fatalf("%v: Size %d, want %d", p, pool.Size(), len(usable))
		}
		taken := map[netip.Addr]bool{}
		// addrAt maps a byte to an address at or around the prefix, so that some are outside.
		addrAt := func(b byte) netip.Addr {
			a := p.Addr().Prev()
			for range int(b) % (len(usable) + 4) {
				a = a.Next()
			}
			return a
		}
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 3
			var a netip.Addr
			if op != 0 {
				var b byte
				if i+1 < len(ops) {
					i++
					b = ops[i]
				}
				a = addrAt(b)
			}
			inRange := slices.Contains(usable, a)
			switch op {
			case 0:
				got, err := pool.AllocateNext()
				lowest := slices.IndexFunc(usable, func(u netip.Addr) bool { return !taken[u] })
				if lowest < 0 {
					if !errors.Is(err, ErrFull) {
						t.Fatalf("AllocateNext = %v, %v; want ErrFull", got, err)
					}
					continue
				}
				if err != nil || got != usable[lowest] {
					t.Fatalf("AllocateNext = %v, %v; want %v", got, err, usable[lowest])
				}
				taken[got] = true
			case 1:
				err := pool.Allocate(a)
				var nir *NotInRangeError
				switch {
				case !inRange:
					if !errors.As(err, &nir) {
						t.Fatalf("Allocate(%v) = %v, want *NotInRangeError", a, err)
					}
				case taken[a]:
					if !errors.Is(err, ErrAllocated) {
						t.Fatalf("Allocate(%v) = %v, want ErrAllocated", a, err)
					}
				default:
					if err != nil {
						t.Fatalf("Allocate(%v) = %v", a, err)
					}
					taken[a] = true
				}
			case 2:
				pool.Release(a)
				delete(taken, a)
			}
			if pool.Used() != len(taken) || pool.Has(a) != taken[a] || pool.Contains(a) != inRange {
				t.Fatalf("after op %d on %v: Used %d Has %v Contains %v, want %d %v %v",
					op, a, pool.Used(), pool.Has(a), pool.Contains(a), len(taken), taken[a], inRange)
			}
		}
		checkAddrPool(t, pool)
	})
}
