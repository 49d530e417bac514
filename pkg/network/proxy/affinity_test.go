package proxy

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// step is one connection of a session affinity scenario, after the clock
// advanced by wait.
type step struct {
	wait     time.Duration
	from, to string
	fromNode string
	endpoint string
	// ready replaces the Service's endpoints before the connection.
	ready []string
}

func TestSessionAffinity(t *testing.T) {
	t.Parallel()
	three := []ep{{pod: "b1"}, {pod: "b2"}, {pod: "b3"}}
	tests := []struct {
		name  string
		svc   func(plan) *corev1.Service
		steps []step
	}{
		{
			name: "a client sticks to its endpoint until timeoutSeconds after its last connection",
			svc:  service("web", 10, withAffinity(60)),
			steps: []step{
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{from: "pod:a2", fromNode: "a", to: "cip:10:80", endpoint: "pod:b2:8080"},
				{wait: 59 * time.Second, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{wait: 59 * time.Second, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{wait: 60 * time.Second, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b3:8080"},
			},
		},
		{
			name: "timeoutSeconds defaults to three hours",
			svc:  service("web", 10, withAffinity(0)),
			steps: []step{
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{wait: 10799 * time.Second, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{wait: 10800 * time.Second, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b2:8080"},
			},
		},
		{
			name: "affinity holds across the Service port's addresses",
			svc:  service("web", 10, withAffinity(60), withExternalIP(1)),
			steps: []step{
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{from: "pod:a1", fromNode: "a", to: "ext:1:80", endpoint: "pod:b1:8080"},
			},
		},
		{
			name: "each node keeps its own affinity",
			svc:  service("web", 10, withAffinity(60), withNodePort(30080)),
			steps: []step{
				{from: "out", to: "node:a:30080", endpoint: "pod:b1:8080"},
				{from: "out", to: "node:b:30080", endpoint: "pod:b2:8080"},
				{from: "out", to: "node:a:30080", endpoint: "pod:b1:8080"},
			},
		},
		{
			name: "a client whose endpoint is no longer ready gets another",
			svc:  service("web", 10, withAffinity(60)),
			steps: []step{
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{ready: []string{"b2", "b3"}, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b3:8080"},
				{ready: []string{"b1", "b2", "b3"}, from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b3:8080"},
			},
		},
		{
			name: "without affinity every connection draws",
			svc:  service("web", 10),
			steps: []step{
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b1:8080"},
				{from: "pod:a1", fromNode: "a", to: "cip:10:80", endpoint: "pod:b2:8080"},
			},
		},
	}
	for _, p := range plans {
		for _, tc := range tests {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				a := newAPI(t, tc.svc(p))
				for _, o := range endpointSlices("web", 0, http8080, three...) {
					a.add(t, o)
				}
				clock := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
				cfg := a.config(sequence())
				cfg.Clock = clock
				table := New(cfg)
				for i, s := range tc.steps {
					clock.SetTime(clock.Now().Add(s.wait))
					if s.ready != nil {
						var eps []ep
						for _, pod := range []string{"b1", "b2", "b3"} {
							e := ep{pod: pod, state: unready}
							for _, r := range s.ready {
								if r == pod {
									e.state = ready
								}
							}
							eps = append(eps, e)
						}
						for _, o := range endpointSlices("web", 0, http8080, eps...) {
							a.add(t, o)
						}
					}
					r, err := table.Route(p.addr(s.from), s.fromNode, p.addrPort(s.to))
					if err != nil {
						t.Fatalf("step %d: Route: %v", i, err)
					}
					if want := p.addrPort(s.endpoint); r.Endpoint != want {
						t.Errorf("step %d: %s → %s went to %s, want %s", i, s.from, s.to, r.Endpoint, want)
					}
				}
			})
		}
	}
}

func TestAffinityBounded(t *testing.T) {
	t.Parallel()
	for _, p := range plans {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			a := newAffinity(2)
			cands := []endpoint{{addr: p.addrPort("pod:b1:8080")}, {addr: p.addrPort("pod:b2:8080")}}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			key := func(client string) affinityKey { return affinityKey{port: "http", node: "a", client: p.addr(client)} }
			for _, c := range []string{"pod:a1", "pod:a2", "pod:a3"} {
				a.pick(key(c), cands, time.Minute, now, fixed(0))
			}
			if _, ok := a.entries[key("pod:a3")]; ok || len(a.entries) != 2 {
				t.Errorf("full table took a third client: %v", a.entries)
			}
			// The third client is not stuck: it draws again.
			if got := a.pick(key("pod:a3"), cands, time.Minute, now, fixed(1)); got.addr != cands[1].addr {
				t.Errorf("unrecorded client got %s, want a fresh draw %s", got.addr, cands[1].addr)
			}
			now = now.Add(time.Minute + sweepEvery)
			a.pick(key("pod:a4"), cands, time.Minute, now, fixed(0))
			if len(a.entries) != 1 {
				t.Errorf("expired entries kept after a sweep: %v", a.entries)
			}
		})
	}
}

func TestRandomChoice(t *testing.T) {
	t.Parallel()
	five := []ep{{pod: "b1"}, {pod: "b2"}, {pod: "b3"}, {pod: "b4"}, {pod: "b5"}}
	for _, p := range plans {
		t.Run(p.name+"/fixed", func(t *testing.T) {
			t.Parallel()
			seq := sequence()
			var draws []int
			rnd := func(n int) int { draws = append(draws, n); return seq(n) }
			table := New(newAPI(t, append(endpointSlices("web", 0, http8080, five...), service("web", 10)(p))...).config(rnd))
			got := routeCounts(t, table, p, 500)
			for _, e := range five {
				if n := got[p.addrPort("pod:"+e.pod+":8080")]; n != 100 {
					t.Errorf("pod:%s got %d of 500 connections, want 100 (all: %v)", e.pod, n, got)
				}
			}
			for _, n := range draws {
				if n != 5 {
					t.Fatalf("Rand drew among %d, want 5", n)
				}
			}
		})
		t.Run(p.name+"/default", func(t *testing.T) {
			t.Parallel()
			table := New(newAPI(t, append(endpointSlices("web", 0, http8080, five...), service("web", 10)(p))...).config(nil))
			got := routeCounts(t, table, p, 1000)
			// Each endpoint expects 200; fewer than 100 is a 1e-13 chance.
			for _, e := range five {
				if n := got[p.addrPort("pod:"+e.pod+":8080")]; n < 100 {
					t.Errorf("pod:%s got %d of 1000 connections (all: %v)", e.pod, n, got)
				}
			}
		})
	}
}

func routeCounts(t *testing.T, table *Table, p plan, n int) map[netip.AddrPort]int {
	t.Helper()
	got := make(map[netip.AddrPort]int)
	for range n {
		r, err := table.Route(p.addr("pod:a1"), "a", p.addrPort("cip:10:80"))
		if err != nil {
			t.Fatal(err)
		}
		got[r.Endpoint]++
	}
	return got
}

// TestConcurrentRoutes runs affinity's shared state under -race.
func TestConcurrentRoutes(t *testing.T) {
	t.Parallel()
	p := plans[0]
	table := New(newAPI(t, append(endpointSlices("web", 0, http8080, ep{pod: "b1"}, ep{pod: "b2"}), service("web", 10, withAffinity(60))(p))...).config(nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			from := netip.AddrFrom4([4]byte{10, 244, 0, byte(i + 1)})
			var first netip.AddrPort
			for j := range 100 {
				r, err := table.Route(from, "a", p.addrPort("cip:10:80"))
				if err != nil {
					t.Error(err)
					return
				}
				if j == 0 {
					first = r.Endpoint
				} else if r.Endpoint != first {
					t.Errorf("client %s moved from %s to %s", from, first, r.Endpoint)
					return
				}
			}
		})
	}
	wg.Wait()
}
