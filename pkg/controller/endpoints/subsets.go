package endpoints

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"hash"
	"math"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/dump"
)

// maxCapacity is how many addresses an Endpoints object holds at most;
// beyond it the controller truncates and says so in the
// endpoints.kubernetes.io/over-capacity annotation.
const maxCapacity = 1000

// overCapacityTruncated is the value of the over-capacity annotation on a
// truncated Endpoints.
const overCapacityTruncated = "truncated"

// addressKey tells addresses apart: the same IP may belong to two pods
// for a moment, and each keeps its own targetRef.
type addressKey struct {
	ip  string
	uid types.UID
}

// noPort stands for "no ports" while repacking, so that a headless
// Service's port-less addresses are kept.
var noPort = corev1.EndpointPort{Port: -1}

// repack returns subsets in canonical form, as kube-controller-manager
// writes them: one subset per distinct set of addresses, carrying every
// port those addresses share, an address ready for a port if any input
// says so, and everything sorted (see sortSubsets). Equal inputs in any
// order give equal outputs, so that the controller can compare what it
// wants with what is stored.
func repack(in []corev1.EndpointSubset) []corev1.EndpointSubset {
	addrs := map[addressKey]*corev1.EndpointAddress{}
	// byPort maps each port to its addresses and whether each is ready.
	byPort := map[corev1.EndpointPort]map[*corev1.EndpointAddress]bool{}
	add := func(a *corev1.EndpointAddress, port corev1.EndpointPort, ready bool) {
		key := addressKey{ip: a.IP}
		if a.TargetRef != nil {
			key.uid = a.TargetRef.UID
		}
		addr := addrs[key]
		if addr == nil {
			addr = a.DeepCopy()
			addrs[key] = addr
		}
		set := byPort[port]
		if set == nil {
			set = map[*corev1.EndpointAddress]bool{}
			byPort[port] = set
		}
		set[addr] = set[addr] || ready
	}
	for i := range in {
		ports := in[i].Ports
		if len(ports) == 0 {
			ports = []corev1.EndpointPort{noPort}
		}
		for _, port := range ports {
			for j := range in[i].Addresses {
				add(&in[i].Addresses[j], port, true)
			}
			for j := range in[i].NotReadyAddresses {
				add(&in[i].NotReadyAddresses[j], port, false)
			}
		}
	}

	// Group the ports by the exact set of addresses (with readiness) that
	// offers them.
	type group struct {
		addrs map[*corev1.EndpointAddress]bool
		ports []corev1.EndpointPort
	}
	groups := map[string]*group{}
	for port, set := range byPort {
		key := addressSetKey(set)
		g := groups[key]
		if g == nil {
			g = &group{addrs: set}
			groups[key] = g
		}
		if port != noPort {
			g.ports = append(g.ports, port)
		}
	}
	out := make([]corev1.EndpointSubset, 0, len(groups))
	for _, g := range groups {
		var ss corev1.EndpointSubset
		for addr, ready := range g.addrs {
			if ready {
				ss.Addresses = append(ss.Addresses, *addr)
			} else {
				ss.NotReadyAddresses = append(ss.NotReadyAddresses, *addr)
			}
		}
		ss.Ports = g.ports
		out = append(out, ss)
	}
	sortSubsets(out)
	return out
}

// addressSetKey is a string that two address sets share exactly when they
// hold the same addresses with the same readiness.
func addressSetKey(set map[*corev1.EndpointAddress]bool) string {
	type entry struct {
		ip    string
		uid   types.UID
		ready bool
	}
	entries := make([]entry, 0, len(set))
	for addr, ready := range set {
		e := entry{ip: addr.IP, ready: ready}
		if addr.TargetRef != nil {
			e.uid = addr.TargetRef.UID
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := bytes.Compare([]byte(a.ip), []byte(b.ip)); c != 0 {
			return c
		}
		if a.uid != b.uid {
			if a.uid < b.uid {
				return -1
			}
			return 1
		}
		return 0
	})
	return fmt.Sprint(entries)
}

// sortSubsets puts subsets in the order kube-controller-manager does:
// addresses by IP (as bytes) then pod UID, and ports and subsets by the MD5
// of their dump.ForHash form. The hash order looks arbitrary but is what
// kubectl users of a real cluster see.
func sortSubsets(subsets []corev1.EndpointSubset) {
	for i := range subsets {
		sort.SliceStable(subsets[i].Addresses, func(a, b int) bool {
			return lessAddress(&subsets[i].Addresses[a], &subsets[i].Addresses[b])
		})
		sort.SliceStable(subsets[i].NotReadyAddresses, func(a, b int) bool {
			return lessAddress(&subsets[i].NotReadyAddresses[a], &subsets[i].NotReadyAddresses[b])
		})
		sortByHash(subsets[i].Ports)
	}
	sortByHash(subsets)
}

func lessAddress(a, b *corev1.EndpointAddress) bool {
	if c := bytes.Compare([]byte(a.IP), []byte(b.IP)); c != 0 {
		return c < 0
	}
	if b.TargetRef == nil {
		return false
	}
	if a.TargetRef == nil {
		return true
	}
	return a.TargetRef.UID < b.TargetRef.UID
}

// sortByHash sorts s by the MD5 of each element's dump.ForHash form.
func sortByHash[T any](s []T) {
	h := md5.New()
	keys := make([][]byte, len(s))
	for i := range s {
		keys[i] = hashOf(h, s[i])
	}
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return bytes.Compare(keys[idx[a]], keys[idx[b]]) < 0 })
	sorted := make([]T, len(s))
	for i, j := range idx {
		sorted[i] = s[j]
	}
	copy(s, sorted)
}

func hashOf(h hash.Hash, v any) []byte {
	h.Reset()
	fmt.Fprintf(h, "%v", dump.ForHash(v))
	return h.Sum(nil)
}

// truncate cuts ep down to maxCapacity addresses and reports whether it
// had to. Ready addresses are kept before not-ready ones; whichever kind
// is cut is cut from every subset in proportion to its share, rounding
// up, so the last subsets may get fewer.
func truncate(ep *corev1.Endpoints) bool {
	var ready, notReady int
	for _, ss := range ep.Subsets {
		ready += len(ss.Addresses)
		notReady += len(ss.NotReadyAddresses)
	}
	if ready+notReady <= maxCapacity {
		return false
	}
	cutReady := ready > maxCapacity
	budget, total := maxCapacity-ready, notReady
	if cutReady {
		budget, total = maxCapacity, ready
	}
	left := budget
	for i := range ep.Subsets {
		ss := &ep.Subsets[i]
		n := len(ss.NotReadyAddresses)
		if cutReady {
			n = len(ss.Addresses)
		}
		keep := min(int(math.Ceil(float64(n)/float64(total)*float64(budget))), left)
		if cutReady {
			ss.Addresses = ss.Addresses[:min(keep, len(ss.Addresses))]
			ss.NotReadyAddresses = []corev1.EndpointAddress{}
			left -= len(ss.Addresses)
		} else {
			ss.NotReadyAddresses = ss.NotReadyAddresses[:min(keep, len(ss.NotReadyAddresses))]
			left -= len(ss.NotReadyAddresses)
		}
	}
	return true
}
