package proxy

import (
	"errors"
	"testing"

	"k8s.io/client-go/tools/cache"
)

// TestIndexMissing: an indexer without the Table's indexes is an error of
// every Route, not a silent fallback to listing nor "no Service".
func TestIndexMissing(t *testing.T) {
	t.Parallel()
	p := plans[0]
	a := newAPI(t, append(endpointSlices("web", 0, http8080, ep{pod: "b1"}), service("web", 10)(p))...)
	bare := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, tc := range []struct {
		name string
		set  func(*Config)
	}{
		{name: "services", set: func(c *Config) { c.ServiceIndex = bare }},
		{name: "endpoint slices", set: func(c *Config) { c.EndpointSliceIndex = bare }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := a.config(fixed(0))
			tc.set(&cfg)
			_, err := New(cfg).Route(p.addr("pod:a1"), "a", p.addrPort("cip:10:80"))
			if err == nil || errors.Is(err, ErrNoService) || errors.Is(err, ErrRefused) || errors.Is(err, ErrDropped) {
				t.Errorf("Route with no %s index: %v, want an index error", tc.name, err)
			}
		})
	}
}
