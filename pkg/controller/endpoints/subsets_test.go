package endpoints

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func addr(ip, uid string) corev1.EndpointAddress {
	return corev1.EndpointAddress{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: uid, UID: types.UID(uid)}}
}

func port(name string, n int32) corev1.EndpointPort {
	return corev1.EndpointPort{Name: name, Port: n, Protocol: corev1.ProtocolTCP}
}

func TestRepack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []corev1.EndpointSubset
		want []corev1.EndpointSubset
	}{{
		name: "IPv4 one address per port merges into one subset",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.2", "b")}, Ports: []corev1.EndpointPort{port("http", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.10", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
		},
		// IPs sort as strings: "10.0.0.10" < "10.0.0.2".
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr("10.0.0.10", "a"), addr("10.0.0.2", "b")},
			Ports:     []corev1.EndpointPort{port("http", 80)},
		}},
	}, {
		name: "IPv6 ready and not ready share a subset",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("fd00::2", "b")}, Ports: []corev1.EndpointPort{port("http", 80)}},
			{NotReadyAddresses: []corev1.EndpointAddress{addr("fd00::1", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
		},
		want: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{addr("fd00::2", "b")},
			NotReadyAddresses: []corev1.EndpointAddress{addr("fd00::1", "a")},
			Ports:             []corev1.EndpointPort{port("http", 80)},
		}},
	}, {
		name: "IPv4 ready wins over not ready for the same address and port",
		in: []corev1.EndpointSubset{
			{NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.1", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
		},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr("10.0.0.1", "a")},
			Ports:     []corev1.EndpointPort{port("http", 80)},
		}},
	}, {
		name: "IPv6 pods with different ports get different subsets",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("fd00::1", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("fd00::1", "a")}, Ports: []corev1.EndpointPort{port("metrics", 9090)}},
			{Addresses: []corev1.EndpointAddress{addr("fd00::2", "b")}, Ports: []corev1.EndpointPort{port("http", 8080)}},
		},
		want: sorted([]corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr("fd00::1", "a")},
			Ports:     sortedPorts(port("http", 80), port("metrics", 9090)),
		}, {
			Addresses: []corev1.EndpointAddress{addr("fd00::2", "b")},
			Ports:     []corev1.EndpointPort{port("http", 8080)},
		}}),
	}, {
		name: "IPv4 headless without ports keeps addresses",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("10.0.0.1", "a")}, Ports: []corev1.EndpointPort{}},
			{NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.2", "b")}},
		},
		want: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{addr("10.0.0.1", "a")},
			NotReadyAddresses: []corev1.EndpointAddress{addr("10.0.0.2", "b")},
		}},
	}, {
		name: "IPv6 same IP of two pods stays two addresses",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr("fd00::1", "b")}, Ports: []corev1.EndpointPort{port("http", 80)}},
			{Addresses: []corev1.EndpointAddress{addr("fd00::1", "a")}, Ports: []corev1.EndpointPort{port("http", 80)}},
		},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr("fd00::1", "a"), addr("fd00::1", "b")},
			Ports:     []corev1.EndpointPort{port("http", 80)},
		}},
	}, {
		name: "nothing",
		in:   nil,
		want: []corev1.EndpointSubset{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, repack(tt.in)); diff != "" {
				t.Errorf("repack (-want +got):\n%s", diff)
			}
			// The order of the input does not matter.
			shuffled := make([]corev1.EndpointSubset, len(tt.in))
			copy(shuffled, tt.in)
			rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if diff := cmp.Diff(tt.want, repack(shuffled)); diff != "" {
				t.Errorf("repack of shuffled input (-want +got):\n%s", diff)
			}
		})
	}
}

func sorted(s []corev1.EndpointSubset) []corev1.EndpointSubset {
	sortSubsets(s)
	return s
}

func sortedPorts(p ...corev1.EndpointPort) []corev1.EndpointPort {
	sortByHash(p)
	return p
}

func TestSortByHashIsStableAcrossRuns(t *testing.T) {
	t.Parallel()
	a := []corev1.EndpointPort{port("a", 1), port("b", 2), port("c", 3), port("d", 4)}
	b := []corev1.EndpointPort{port("d", 4), port("c", 3), port("b", 2), port("a", 1)}
	sortByHash(a)
	sortByHash(b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("hash order depends on input order (-first +second):\n%s", diff)
	}
}

// addrs returns n addresses of the family of base ("10.0." or "fd00::").
func addrs(base string, from, n int) []corev1.EndpointAddress {
	out := make([]corev1.EndpointAddress, n)
	for i := range out {
		ip := fmt.Sprintf("%s%d.%d", base, (from+i)/250, (from+i)%250)
		if base == "fd00::" {
			ip = fmt.Sprintf("%s%x", base, from+i+1)
		}
		out[i] = addr(ip, fmt.Sprintf("uid-%d", from+i))
	}
	return out
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	type counts struct{ ready, notReady int }
	tests := []struct {
		name      string
		subsets   []counts
		want      []counts
		truncated bool
	}{
		{name: "IPv4 at capacity", subsets: []counts{{600, 400}}, want: []counts{{600, 400}}},
		{name: "IPv6 at capacity", subsets: []counts{{1000, 0}}, want: []counts{{1000, 0}}},
		{name: "IPv4 not-ready cut first", subsets: []counts{{900, 200}}, want: []counts{{900, 100}}, truncated: true},
		{name: "IPv6 not-ready cut in proportion", subsets: []counts{{500, 300}, {200, 100}},
			want: []counts{{500, 225}, {200, 75}}, truncated: true},
		{name: "IPv4 ready cut in proportion, not-ready dropped", subsets: []counts{{900, 10}, {300, 10}},
			want: []counts{{750, 0}, {250, 0}}, truncated: true},
		{name: "IPv6 rounding up leaves less for the last", subsets: []counts{{700, 0}, {700, 0}, {1, 0}},
			want: []counts{{500, 0}, {500, 0}, {0, 0}}, truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := "10.0."
			if len(tt.name) > 4 && tt.name[:4] == "IPv6" {
				base = "fd00::"
			}
			ep := &corev1.Endpoints{}
			next := 0
			for _, c := range tt.subsets {
				ss := corev1.EndpointSubset{Addresses: addrs(base, next, c.ready), NotReadyAddresses: addrs(base, next+c.ready, c.notReady)}
				next += c.ready + c.notReady
				ep.Subsets = append(ep.Subsets, ss)
			}
			if got := truncate(ep); got != tt.truncated {
				t.Errorf("truncate = %v, want %v", got, tt.truncated)
			}
			var got []counts
			for _, ss := range ep.Subsets {
				got = append(got, counts{len(ss.Addresses), len(ss.NotReadyAddresses)})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(counts{})); diff != "" {
				t.Errorf("subset sizes after truncate (-want +got):\n%s", diff)
			}
		})
	}
}
