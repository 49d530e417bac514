package allocator

import (
	"errors"
	"net/netip"
	"testing"
)

func TestIPRangesAllocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cidrs     []string
		families  []Family
		want      []string
		fill      Family // fill this family first
		wantErr   string
		wantIndex int
	}{
		{name: "v4 primary, dual dynamic", cidrs: []string{"10.96.0.0/28", "fd00::/124"}, families: []Family{IPv4, IPv6}},
		{name: "v6 primary, dual dynamic", cidrs: []string{"fd00::/124", "10.96.0.0/28"}, families: []Family{IPv6, IPv4}},
		{name: "v4 static, v6 dynamic", cidrs: []string{"10.96.0.0/28", "fd00::/124"}, families: []Family{IPv4, IPv6}, want: []string{"10.96.0.10"}},
		{name: "v6 static, v4 static", cidrs: []string{"10.96.0.0/28", "fd00::/124"}, families: []Family{IPv6, IPv4}, want: []string{"fd00::a", "10.96.0.10"}},
		{name: "v4 ok, v6 full: all or nothing", cidrs: []string{"10.96.0.0/28", "fd00::/124"}, families: []Family{IPv4, IPv6}, fill: IPv6, wantErr: "range is full", wantIndex: 1},
		{name: "v6 ok, v4 full: all or nothing", cidrs: []string{"fd00::/124", "10.96.0.0/28"}, families: []Family{IPv6, IPv4}, fill: IPv4, wantErr: "range is full", wantIndex: 1},
		{name: "v4 ok, v6 out of range", cidrs: []string{"10.96.0.0/28", "fd00::/124"}, families: []Family{IPv4, IPv6}, want: []string{"10.96.0.1", "fd01::1"}, wantErr: "the provided network does not match the current range", wantIndex: 1},
		{name: "v6 ok, v4 broadcast", cidrs: []string{"fd00::/124", "10.96.0.0/28"}, families: []Family{IPv6, IPv4}, want: []string{"fd00::1", "10.96.0.15"}, wantErr: "the provided IP (10.96.0.15) is not in the valid range. The range of valid IPs is 10.96.0.0/28", wantIndex: 1},
		{name: "v4-only cluster asked for v6", cidrs: []string{"10.96.0.0/28"}, families: []Family{IPv4, IPv6}, wantErr: "range is full", wantIndex: 1},
		{name: "v6-only cluster given a v4 address", cidrs: []string{"fd00::/124"}, families: []Family{IPv6, IPv4}, want: []string{"", "10.0.0.1"}, wantErr: "the provided network does not match the current range", wantIndex: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs, err := NewIPRanges(prefixes(tc.cidrs...), seeded(2))
			if err != nil {
				t.Fatal(err)
			}
			if rs.Primary().Prefix() != netip.MustParsePrefix(tc.cidrs[0]) || rs.IsDualStack() != (len(tc.cidrs) == 2) {
				t.Fatalf("Primary %v, IsDualStack %v", rs.Primary().Prefix(), rs.IsDualStack())
			}
			if tc.fill != "" {
				for {
					if _, err := rs.Family(tc.fill).AllocateNext(); err != nil {
						break
					}
				}
			}
			var want []netip.Addr
			for _, w := range tc.want {
				var a netip.Addr
				if w != "" {
					a = netip.MustParseAddr(w)
				}
				want = append(want, a)
			}
			before := usedCounts(rs)
			got, err := rs.Allocate(tc.families, want)
			if errText(err) != tc.wantErr {
				t.Fatalf("Allocate = %v, %q; want error %q", got, errText(err), tc.wantErr)
			}
			if err != nil {
				var fe *FamilyError
				if !errors.As(err, &fe) || fe.Index != tc.wantIndex || fe.Family != tc.families[tc.wantIndex] {
					t.Errorf("FamilyError = %+v, want index %d", fe, tc.wantIndex)
				}
				if after := usedCounts(rs); after != before {
					t.Errorf("failed Allocate left addresses taken: %v -> %v", before, after)
				}
				return
			}
			if len(got) != len(tc.families) {
				t.Fatalf("got %v for %v", got, tc.families)
			}
			for i, a := range got {
				if FamilyOf(a) != tc.families[i] || !rs.ForFamily(a).Has(a) {
					t.Errorf("got[%d] = %v, not a taken %s address", i, a, tc.families[i])
				}
				if i < len(want) && want[i].IsValid() && want[i] != a {
					t.Errorf("got[%d] = %v, want %v", i, a, want[i])
				}
			}
			rs.Release(got)
			if after := usedCounts(rs); after != [2]int{} {
				t.Errorf("after Release: %v", after)
			}
		})
	}
}

func usedCounts(rs IPRanges) [2]int {
	var n [2]int
	for i, r := range rs {
		n[i] = r.Used()
	}
	return n
}

func TestNewIPRangesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cidrs   []string
		wantErr string
	}{
		{name: "two v4", cidrs: []string{"10.0.0.0/24", "10.1.0.0/24"}, wantErr: "service CIDRs 10.0.0.0/24 and 10.1.0.0/24 must be of different IP families"},
		{name: "two v6", cidrs: []string{"fd00::/120", "fd01::/120"}, wantErr: "service CIDRs fd00::/120 and fd01::/120 must be of different IP families"},
		{name: "three", cidrs: []string{"10.0.0.0/24", "fd00::/120", "10.1.0.0/24"}, wantErr: "need one or two service CIDRs, got 3"},
		{name: "v6 too large", cidrs: []string{"10.0.0.0/24", "fd00::/48"}, wantErr: "shortest allowed prefix length for service CIDR is 64, got 48"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewIPRanges(prefixes(tc.cidrs...), nil)
			if errText(err) != tc.wantErr {
				t.Fatalf("NewIPRanges = %q, want %q", errText(err), tc.wantErr)
			}
		})
	}
}

func TestCIDRSetsAllOrNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cidrs  []string
		masks  []int
		nodes  int // how many nodes fit
		failAt int
	}{
		{name: "v4 primary, v6 smaller", cidrs: []string{"10.244.0.0/22", "fd00:10:244::/63"}, masks: []int{24, 64}, nodes: 2, failAt: 1},
		{name: "v6 primary, v4 smaller", cidrs: []string{"fd00:10:244::/62", "10.244.0.0/23"}, masks: []int{64, 24}, nodes: 2, failAt: 1},
		{name: "v4 smaller primary", cidrs: []string{"10.244.0.0/23", "fd00:10:244::/62"}, masks: []int{24, 64}, nodes: 2, failAt: 0},
		{name: "v6 smaller primary", cidrs: []string{"fd00:10:244::/63", "10.244.0.0/22"}, masks: []int{64, 24}, nodes: 2, failAt: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ss CIDRSets
			for i, c := range tc.cidrs {
				ss = append(ss, newTestCIDRSet(t, c, tc.masks[i]))
			}
			for range tc.nodes {
				got, err := ss.AllocateNext()
				if err != nil || len(got) != 2 || FamilyOf(got[0].Addr()) != FamilyOf(ss[0].Cluster().Addr()) {
					t.Fatalf("AllocateNext = %v, %v", got, err)
				}
			}
			used := [2]int{ss[0].Used(), ss[1].Used()}
			_, err := ss.AllocateNext()
			var fe *FamilyError
			if !errors.Is(err, ErrCIDRRangeNoCIDRsRemaining) || !errors.As(err, &fe) || fe.Index != tc.failAt {
				t.Fatalf("AllocateNext on exhausted = %v (%+v)", err, fe)
			}
			if now := [2]int{ss[0].Used(), ss[1].Used()}; now != used {
				t.Errorf("failed AllocateNext changed usage %v -> %v", used, now)
			}
		})
	}
}
