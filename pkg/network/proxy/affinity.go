package proxy

import (
	"net/netip"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

const (
	// maxAffinity bounds the clients remembered at once, a bound of our
	// own: past it, a new client gets no affinity until entries expire,
	// as an nftables set that is full takes no new element.
	maxAffinity = 1 << 16
	// sweepEvery is how often expired entries are dropped.
	sweepEvery = time.Minute
)

// affinityKey is one client's affinity to one Service port in one node's
// rules. kube-proxy keeps, per node and per endpoint of a Service port, a
// set of client addresses that timeoutSeconds after its last update
// forgets each one, whichever of the Service's addresses the client used
// (nftables/proxier.go, the affinity-* sets).
type affinityKey struct {
	svc    types.NamespacedName
	port   string
	node   string
	client netip.Addr
}

type affinityEntry struct {
	endpoint netip.AddrPort
	expires  time.Time
}

// affinity is sessionAffinity ClientIP's state. It is safe for
// concurrent use.
type affinity struct {
	mu        sync.Mutex
	max       int
	entries   map[affinityKey]affinityEntry
	nextSweep time.Time
}

func newAffinity(max int) *affinity {
	return &affinity{max: max, entries: make(map[affinityKey]affinityEntry)}
}

// pick returns the endpoint k's client is stuck to if it has not expired
// and is still among cands, else cands[choose(len(cands))]; either way the
// client's affinity to it is renewed for timeout, as each new connection
// through an endpoint's chain updates its set.
func (a *affinity) pick(k affinityKey, cands []endpoint, timeout time.Duration, now time.Time, choose func(int) int) endpoint {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !now.Before(a.nextSweep) {
		a.sweep(now)
	}
	chosen, found := endpoint{}, false
	if e, ok := a.entries[k]; ok && now.Before(e.expires) {
		for _, c := range cands {
			if c.addr == e.endpoint {
				chosen, found = c, true
				break
			}
		}
	}
	if !found {
		chosen = cands[choose(len(cands))]
	}
	if _, ok := a.entries[k]; !ok && len(a.entries) >= a.max {
		if a.sweep(now); len(a.entries) >= a.max {
			return chosen
		}
	}
	a.entries[k] = affinityEntry{endpoint: chosen.addr, expires: now.Add(timeout)}
	return chosen
}

// sweep drops expired entries.
func (a *affinity) sweep(now time.Time) {
	for k, e := range a.entries {
		if !now.Before(e.expires) {
			delete(a.entries, k)
		}
	}
	a.nextSweep = now.Add(sweepEvery)
}
