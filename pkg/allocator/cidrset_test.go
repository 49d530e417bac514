package allocator

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestNewCIDRSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cidr    string
		mask    int
		size    int
		wantErr string
	}{
		{name: "v4 /16 by /24", cidr: "10.244.0.0/16", mask: 24, size: 256},
		{name: "v6 /56 by /64", cidr: "fd00:10:244::/56", mask: 64, size: 256},
		{name: "v4 same mask", cidr: "10.0.0.0/24", mask: 24, size: 1},
		{name: "v6 same mask", cidr: "fd00::/64", mask: 64, size: 1},
		{name: "v4 diff 24 allowed", cidr: "10.0.0.0/8", mask: 32, size: 1 << 24},
		{name: "v6 diff 16 allowed", cidr: "fd00::/48", mask: 64, size: 1 << 16},
		{name: "v4 diff 17 allowed", cidr: "10.0.0.0/8", mask: 25, size: 1 << 17},
		{name: "v6 diff 17 too big", cidr: "fd00::/47", mask: 64, wantErr: "New CIDR set failed; the node CIDR size is too big"},
		{name: "v4 mask shorter than cluster", cidr: "10.0.0.0/16", mask: 8, wantErr: "invalid node CIDR mask size 8 for cluster CIDR 10.0.0.0/16: it must be between 16 and 32"},
		{name: "v6 mask too long", cidr: "fd00::/120", mask: 129, wantErr: "invalid node CIDR mask size 129 for cluster CIDR fd00::/120: it must be between 120 and 128"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewCIDRSet(netip.MustParsePrefix(tc.cidr), tc.mask)
			if errText(err) != tc.wantErr {
				t.Fatalf("NewCIDRSet = %q, want %q", errText(err), tc.wantErr)
			}
			if err == nil && (s.Size() != tc.size || s.Free() != tc.size) {
				t.Errorf("Size %d Free %d, want %d", s.Size(), s.Free(), tc.size)
			}
			if tc.wantErr == ErrCIDRSetSubNetTooBig.Error() && !errors.Is(err, ErrCIDRSetSubNetTooBig) {
				t.Errorf("not ErrCIDRSetSubNetTooBig: %v", err)
			}
		})
	}
}

// TestCIDRSetRoundRobin: sequential from index 0, released CIDRs reused only after a wrap,
// then exhaustion.
func TestCIDRSetRoundRobin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cidr    string
		mask    int
		first   []string // the whole set in allocation order
		release string
	}{
		{name: "v4", cidr: "10.244.0.0/22", mask: 24, first: []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"}, release: "10.244.1.0/24"},
		{name: "v6", cidr: "fd00:10:244::/62", mask: 64, first: []string{"fd00:10:244::/64", "fd00:10:244:1::/64", "fd00:10:244:2::/64", "fd00:10:244:3::/64"}, release: "fd00:10:244:1::/64"},
		{name: "v4 across octets", cidr: "10.0.0.0/23", mask: 25, first: []string{"10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/25", "10.0.1.128/25"}, release: "10.0.0.128/25"},
		{name: "v6 across the 64-bit halves", cidr: "fd00::/63", mask: 65, first: []string{"fd00::/65", "fd00::8000:0:0:0/65", "fd00:0:0:1::/65", "fd00:0:0:1:8000::/65"}, release: "fd00::8000:0:0:0/65"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestCIDRSet(t, tc.cidr, tc.mask)
			var got []netip.Prefix
			for range 2 {
				p, err := s.AllocateNext()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
			// Release the first one: it is not reused before the wrap.
			if err := s.Release(got[0]); err != nil {
				t.Fatal(err)
			}
			for range len(tc.first) - 2 {
				p, err := s.AllocateNext()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
			if want := prefixes(tc.first...); !slices.Equal(got, want) {
				t.Fatalf("allocation order %v, want %v", got, want)
			}
			p, err := s.AllocateNext() // wraps to the released index 0
			if err != nil || p != got[0] {
				t.Fatalf("after wrap AllocateNext = %v, %v; want %v", p, err, got[0])
			}
			_, err = s.AllocateNext()
			if !errors.Is(err, ErrCIDRRangeNoCIDRsRemaining) || !errors.Is(err, ErrFull) ||
				err.Error() != "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range" {
				t.Fatalf("full set: %v", err)
			}
			rel := netip.MustParsePrefix(tc.release)
			if err := s.Release(rel); err != nil {
				t.Fatal(err)
			}
			if p, err := s.AllocateNext(); err != nil || p != rel {
				t.Fatalf("only free CIDR: AllocateNext = %v, %v; want %v", p, err, rel)
			}
		})
	}
}

func TestCIDRSetOccupyRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cidr     string
		mask     int
		occupy   string
		wantUsed int
		wantErr  string
	}{
		{name: "v4 one node CIDR", cidr: "10.244.0.0/16", mask: 24, occupy: "10.244.5.0/24", wantUsed: 1},
		{name: "v6 one node CIDR", cidr: "fd00:10:244::/56", mask: 64, occupy: "fd00:10:244:5::/64", wantUsed: 1},
		{name: "v4 larger block", cidr: "10.244.0.0/16", mask: 24, occupy: "10.244.4.0/22", wantUsed: 4},
		{name: "v6 larger block", cidr: "fd00:10:244::/56", mask: 64, occupy: "fd00:10:244:4::/62", wantUsed: 4},
		{name: "v4 smaller than a node CIDR", cidr: "10.244.0.0/16", mask: 24, occupy: "10.244.7.128/26", wantUsed: 1},
		{name: "v6 smaller than a node CIDR", cidr: "fd00:10:244::/56", mask: 64, occupy: "fd00:10:244:7:8000::/66", wantUsed: 1},
		{name: "v4 containing the cluster", cidr: "10.244.0.0/22", mask: 24, occupy: "10.0.0.0/8", wantUsed: 4},
		{name: "v6 containing the cluster", cidr: "fd00:10:244::/62", mask: 64, occupy: "fd00::/16", wantUsed: 4},
		{name: "v4 outside", cidr: "10.244.0.0/16", mask: 24, occupy: "10.96.0.0/12", wantErr: "cidr 10.96.0.0/12 is out the range of cluster cidr 10.244.0.0/16"},
		{name: "v6 outside", cidr: "fd00:10:244::/56", mask: 64, occupy: "fd00:10:96::/108", wantErr: "cidr fd00:10:96::/108 is out the range of cluster cidr fd00:10:244::/56"},
		{name: "v4 set, v6 prefix", cidr: "10.244.0.0/16", mask: 24, occupy: "fd00::/64", wantErr: "cidr fd00::/64 is out the range of cluster cidr 10.244.0.0/16"},
		{name: "v6 set, v4 prefix", cidr: "fd00:10:244::/56", mask: 64, occupy: "10.244.0.0/24", wantErr: "cidr 10.244.0.0/24 is out the range of cluster cidr fd00:10:244::/56"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestCIDRSet(t, tc.cidr, tc.mask)
			p := netip.MustParsePrefix(tc.occupy)
			err := s.Occupy(p)
			if errText(err) != tc.wantErr {
				t.Fatalf("Occupy(%v) = %q, want %q", p, errText(err), tc.wantErr)
			}
			if err != nil {
				if rerr := s.Release(p); errText(rerr) != tc.wantErr {
					t.Errorf("Release(%v) = %q, want %q", p, errText(rerr), tc.wantErr)
				}
				return
			}
			if err := s.Occupy(p); err != nil || s.Used() != tc.wantUsed { // idempotent
				t.Fatalf("Occupy twice: err %v, Used %d, want %d", err, s.Used(), tc.wantUsed)
			}
			// Occupy does not move the round-robin position; AllocateNext skips taken ones.
			for range s.Free() {
				q, err := s.AllocateNext()
				if err != nil || (p.Overlaps(q) && tc.wantUsed < s.Size()) {
					t.Fatalf("AllocateNext = %v, %v (overlaps occupied %v)", q, err, p)
				}
			}
			if err := s.Release(p); err != nil || s.Used() != s.Size()-tc.wantUsed {
				t.Fatalf("Release: %v, Used %d", err, s.Used())
			}
		})
	}
}
