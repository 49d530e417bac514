package allocator

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
)

func TestNewIPRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		cidr                 string
		wantErr              string
		size, static         int
		first, last          string
		firstDynamicExpected string
	}{
		{name: "v4 /12 kubeadm default", cidr: "10.96.0.0/12", size: 1<<20 - 2, static: 256, first: "10.96.0.1", last: "10.111.255.254"},
		{name: "v6 /108", cidr: "fd00:10:96::/108", size: 1<<20 - 1, static: 256, first: "fd00:10:96::1", last: "fd00:10:96::f:ffff"},
		{name: "v4 /24 default range", cidr: "10.0.0.0/24", size: 254, static: 16, first: "10.0.0.1", last: "10.0.0.254"},
		{name: "v6 /120", cidr: "2001:db8::/120", size: 255, static: 16, first: "2001:db8::1", last: "2001:db8::ff"},
		{name: "v4 /20 graduated", cidr: "10.0.0.0/20", size: 4094, static: 256, first: "10.0.0.1", last: "10.0.15.254"},
		{name: "v6 /116 graduated", cidr: "fd00::/116", size: 4095, static: 256, first: "fd00::1", last: "fd00::fff"},
		{name: "v4 /22 between", cidr: "10.0.0.0/22", size: 1022, static: 64, first: "10.0.0.1", last: "10.0.3.254"},
		{name: "v6 /118 between", cidr: "fd00::/118", size: 1023, static: 64, first: "fd00::1", last: "fd00::3ff"},
		{name: "v4 /28 no static band", cidr: "192.168.1.0/28", size: 14, static: 0, first: "192.168.1.1", last: "192.168.1.14"},
		{name: "v6 /124 no static band", cidr: "fd00::/124", size: 15, static: 0, first: "fd00::1", last: "fd00::f"},
		{name: "v4 /27 minimum band", cidr: "192.168.1.0/27", size: 30, static: 16, first: "192.168.1.1", last: "192.168.1.30"},
		{name: "v6 /123 minimum band", cidr: "fd00::/123", size: 31, static: 16, first: "fd00::1", last: "fd00::1f"},
		{name: "v4 /31 empty", cidr: "10.0.0.0/31", size: 0, static: 0},
		{name: "v6 /127 one address", cidr: "fd00::/127", size: 1, static: 0, first: "fd00::1", last: "fd00::1"},
		{name: "v4 /32 empty", cidr: "10.0.0.7/32", size: 0, static: 0},
		{name: "v6 /128 empty", cidr: "fd00::7/128", size: 0, static: 0},
		{name: "v4 unmasked is masked", cidr: "10.96.0.9/24", size: 254, static: 16, first: "10.96.0.1", last: "10.96.0.254"},
		{name: "v6 /64 largest", cidr: "fd00:1:2:3::/64", size: 1<<63 - 1, static: 256, first: "fd00:1:2:3::1", last: "fd00:1:2:3:ffff:ffff:ffff:ffff"},
		{name: "v4 /8 large", cidr: "10.0.0.0/8", size: 1<<24 - 2, static: 256, first: "10.0.0.1", last: "10.255.255.254"},
		{name: "v6 /63 too large", cidr: "fd00::/63", wantErr: "shortest allowed prefix length for service CIDR is 64, got 63"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewIPRange(netip.MustParsePrefix(tc.cidr), seeded(1))
			if errText(err) != tc.wantErr {
				t.Fatalf("NewIPRange(%s) error = %q, want %q", tc.cidr, errText(err), tc.wantErr)
			}
			if err != nil {
				return
			}
			if r.Size() != tc.size || r.Free() != tc.size || r.Used() != 0 || r.StaticBand() != tc.static {
				t.Errorf("Size %d Free %d Used %d StaticBand %d, want size %d static %d",
					r.Size(), r.Free(), r.Used(), r.StaticBand(), tc.size, tc.static)
			}
			if got := addrString(r.First()); got != tc.first {
				t.Errorf("First() = %s, want %s", got, tc.first)
			}
			if got := addrString(r.Last()); got != tc.last {
				t.Errorf("Last() = %s, want %s", got, tc.last)
			}
		})
	}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func TestIPRangeAllocateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cidr    string
		ip      string
		wantErr string
		target  error // errors.Is target, or nil for *NotInRangeError
	}{
		{name: "v4 ok", cidr: "10.96.0.0/24", ip: "10.96.0.10"},
		{name: "v6 ok", cidr: "fd00::/120", ip: "fd00::10"},
		{name: "v4 taken", cidr: "10.96.0.0/24", ip: "10.96.0.50", wantErr: "provided IP is already allocated", target: ErrAllocated},
		{name: "v6 taken", cidr: "fd00::/120", ip: "fd00::50", wantErr: "provided IP is already allocated", target: ErrAllocated},
		{name: "v4 network address", cidr: "10.96.0.0/24", ip: "10.96.0.0", wantErr: "the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/24"},
		{name: "v6 network address", cidr: "fd00::/120", ip: "fd00::", wantErr: "the provided IP (fd00::) is not in the valid range. The range of valid IPs is fd00::/120"},
		{name: "v4 broadcast", cidr: "10.96.0.0/24", ip: "10.96.0.255", wantErr: "the provided IP (10.96.0.255) is not in the valid range. The range of valid IPs is 10.96.0.0/24"},
		{name: "v6 last address is usable", cidr: "fd00::/120", ip: "fd00::ff"},
		{name: "v4 outside", cidr: "10.96.0.0/24", ip: "1.1.1.1", wantErr: "the provided network does not match the current range"},
		{name: "v6 outside", cidr: "fd00::/120", ip: "fd00::100", wantErr: "the provided network does not match the current range"},
		{name: "v4 range, v6 address", cidr: "10.96.0.0/24", ip: "fd00::1", wantErr: "the provided network does not match the current range"},
		{name: "v6 range, v4 address", cidr: "fd00::/120", ip: "10.96.0.1", wantErr: "the provided network does not match the current range"},
		{name: "v4 mapped address counts as v4", cidr: "10.96.0.0/24", ip: "::ffff:10.96.0.77"},
		{name: "v6 zoned address", cidr: "fe80::/120", ip: "fe80::1%eth0", wantErr: "the provided network does not match the current range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newTestIPRange(t, tc.cidr, 1)
			pre := netip.MustParseAddr(tc.ip)
			if tc.target == ErrAllocated {
				if err := r.Allocate(pre); err != nil {
					t.Fatalf("first Allocate(%v): %v", pre, err)
				}
			}
			err := r.Allocate(pre)
			if errText(err) != tc.wantErr {
				t.Fatalf("Allocate(%s) = %q, want %q", tc.ip, errText(err), tc.wantErr)
			}
			if err == nil {
				if !r.Has(pre) || r.Used() != 1 {
					t.Errorf("after Allocate(%s): Has = %v, Used = %d", tc.ip, r.Has(pre), r.Used())
				}
				r.Release(pre)
				if r.Has(pre) || r.Used() != 0 {
					t.Errorf("after Release(%s): Has = %v, Used = %d", tc.ip, r.Has(pre), r.Used())
				}
				return
			}
			if tc.target != nil {
				if !errors.Is(err, tc.target) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.target)
				}
				return
			}
			var nir *NotInRangeError
			if !errors.As(err, &nir) || nir.Prefix != r.Prefix() {
				t.Errorf("errors.As(%v, *NotInRangeError) = %v, %+v", err, errors.As(err, &nir), nir)
			}
			if r.Used() != 0 {
				t.Errorf("failed Allocate changed Used to %d", r.Used())
			}
		})
	}
}

// TestIPRangeExhaustion fills tiny ranges dynamically: every usable address exactly once,
// then ErrFull, never an address outside the range; releasing one makes exactly it available.
func TestIPRangeExhaustion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cidr string
		want int
	}{
		{name: "v4 /32", cidr: "10.0.0.1/32", want: 0},
		{name: "v6 /128", cidr: "fd00::1/128", want: 0},
		{name: "v4 /31", cidr: "10.0.0.0/31", want: 0},
		{name: "v6 /127", cidr: "fd00::/127", want: 1},
		{name: "v4 /30", cidr: "10.0.0.0/30", want: 2},
		{name: "v6 /126", cidr: "fd00::/126", want: 3},
		{name: "v4 /29", cidr: "10.0.0.0/29", want: 6},
		{name: "v6 /125", cidr: "fd00::/125", want: 7},
		{name: "v4 /26 with bands", cidr: "10.0.0.0/26", want: 62},
		{name: "v6 /122 with bands", cidr: "fd00::/122", want: 63},
		{name: "v4 top of the address space", cidr: "255.255.255.248/29", want: 6},
		{name: "v6 top of the address space", cidr: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff8/125", want: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prefix := netip.MustParsePrefix(tc.cidr)
			for seed := range uint64(5) {
				r := newTestIPRange(t, tc.cidr, seed)
				seen := map[netip.Addr]bool{}
				for range tc.want {
					a, err := r.AllocateNext()
					if err != nil {
						t.Fatalf("seed %d: AllocateNext after %d: %v", seed, len(seen), err)
					}
					if !prefix.Contains(a) || seen[a] || a == prefix.Masked().Addr() {
						t.Fatalf("seed %d: AllocateNext = %v: outside %v, network address or duplicate", seed, a, prefix)
					}
					seen[a] = true
				}
				for range 3 {
					if a, err := r.AllocateNext(); !errors.Is(err, ErrFull) || a.IsValid() || err.Error() != "range is full" {
						t.Fatalf("seed %d: AllocateNext on full range = %v, %v; want ErrFull", seed, a, err)
					}
				}
				if r.Free() != 0 || r.Used() != tc.want {
					t.Errorf("seed %d: full range Free %d Used %d", seed, r.Free(), r.Used())
				}
				for a := range seen {
					r.Release(a)
					got, err := r.AllocateNext()
					if err != nil || got != a {
						t.Fatalf("seed %d: after Release(%v) AllocateNext = %v, %v", seed, a, got, err)
					}
					break
				}
			}
		})
	}
}

// TestIPRangeBanding checks upstream's static/dynamic split: dynamic allocation takes the
// whole upper band before it touches the static band, so user-chosen static IPs succeed until
// then.
func TestIPRangeBanding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cidr   string
		static int
	}{
		{name: "v4 /24", cidr: "10.96.0.0/24", static: 16},
		{name: "v6 /120", cidr: "fd00:10:96::/120", static: 16},
		{name: "v4 /22", cidr: "10.96.0.0/22", static: 64},
		{name: "v6 /118", cidr: "fd00:10:96::/118", static: 64},
		{name: "v4 /20", cidr: "10.96.0.0/20", static: 256},
		{name: "v6 /116", cidr: "fd00:10:96::/116", static: 256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newTestIPRange(t, tc.cidr, 7)
			first := r.First()
			staticBand := func(a netip.Addr) bool {
				for i, b := 0, first; i < tc.static; i, b = i+1, b.Next() {
					if a == b {
						return true
					}
				}
				return false
			}
			upper := r.Size() - tc.static
			for i := range upper {
				a, err := r.AllocateNext()
				if err != nil {
					t.Fatalf("AllocateNext %d: %v", i, err)
				}
				if staticBand(a) {
					t.Fatalf("AllocateNext %d = %v is in the static band with the dynamic band not full", i, a)
				}
			}
			// The whole static band is still free for user-chosen IPs: take half of it.
			for i, a := 0, first; i < tc.static; i, a = i+1, a.Next() {
				if i%2 == 0 {
					if err := r.Allocate(a); err != nil {
						t.Fatalf("static Allocate(%v): %v", a, err)
					}
				}
			}
			// Dynamic now falls back to the other half of the static band.
			for i := range tc.static / 2 {
				a, err := r.AllocateNext()
				if err != nil || !staticBand(a) {
					t.Fatalf("fallback AllocateNext %d = %v, %v; want a static-band address", i, a, err)
				}
			}
			if _, err := r.AllocateNext(); !errors.Is(err, ErrFull) {
				t.Fatalf("AllocateNext on full range: %v", err)
			}
		})
	}
}

// TestIPRangeDynamicStartsRandomly checks that the start in the dynamic band is random (two
// seeds, different first addresses) and reproducible (same seed, same address).
func TestIPRangeDynamicStartsRandomly(t *testing.T) {
	t.Parallel()
	for _, cidr := range []string{"10.96.0.0/12", "fd00:10:96::/108"} {
		t.Run(cidr, func(t *testing.T) {
			t.Parallel()
			firsts := map[netip.Addr]bool{}
			for seed := range uint64(8) {
				a, err := newTestIPRange(t, cidr, seed).AllocateNext()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := newTestIPRange(t, cidr, seed).AllocateNext()
				if a != b {
					t.Errorf("seed %d: %v then %v", seed, a, b)
				}
				firsts[a] = true
			}
			if len(firsts) < 4 {
				t.Errorf("8 seeds gave only %d distinct first addresses: %v", len(firsts), firsts)
			}
		})
	}
}

func TestIPRangeConcurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cidr string
	}{
		{name: "v4 /23", cidr: "10.96.0.0/23"},
		{name: "v6 /119", cidr: "fd00::/119"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newTestIPRange(t, tc.cidr, 3)
			const workers = 16
			var mu sync.Mutex
			seen := map[netip.Addr]int{}
			full := 0
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					static := r.First()
					for range w {
						static = static.Next()
					}
					for i := 0; ; i++ {
						var a netip.Addr
						var err error
						if i == 0 {
							a, err = static, r.Allocate(static)
						} else {
							a, err = r.AllocateNext()
						}
						if i == 0 && errors.Is(err, ErrAllocated) {
							continue // the dynamic fallback got to the static band first
						}
						mu.Lock()
						if errors.Is(err, ErrFull) {
							full++
							mu.Unlock()
							return
						}
						if err != nil {
							mu.Unlock()
							t.Errorf("worker %d: %v", w, err)
							return
						}
						seen[a]++
						mu.Unlock()
						if i%7 == 3 { // churn: release and retake
							r.Release(a)
							mu.Lock()
							seen[a]--
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			for a, n := range seen {
				if n > 1 || n < 0 || (n == 1) != r.Has(a) {
					t.Errorf("%v taken %d times, Has = %v", a, n, r.Has(a))
				}
			}
			if r.Free() != 0 || full != workers {
				t.Errorf("Free %d, %d workers saw ErrFull", r.Free(), full)
			}
		})
	}
}

func BenchmarkIPRangeAllocateNext(b *testing.B) {
	for _, bc := range []struct {
		name string
		cidr string
	}{
		{name: "v4 /16", cidr: "10.96.0.0/16"},
		{name: "v6 /108", cidr: "fd00:10:96::/108"},
	} {
		for _, fill := range []int{0, 50, 90} {
			b.Run(fmt.Sprintf("%s/%d%%", bc.name, fill), func(b *testing.B) {
				r, err := NewIPRange(netip.MustParsePrefix(bc.cidr), seeded(1))
				if err != nil {
					b.Fatal(err)
				}
				for range r.Size() * fill / 100 {
					if _, err := r.AllocateNext(); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for b.Loop() {
					a, err := r.AllocateNext()
					if err != nil {
						b.Fatal(err)
					}
					r.Release(a)
				}
			})
		}
	}
}
