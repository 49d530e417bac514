package clustertest

import (
	"testing"

	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// Start runs a cluster for tb: its state lives in tb.TempDir(), it listens on
// a free loopback port, it logs through tb, and it is stopped when tb ends,
// failing tb if stopping does. Tests that each call Start can run in parallel.
func Start(tb testing.TB) *cluster.Cluster {
	tb.Helper()
	return StartWith(tb, cluster.Options{DataDir: tb.TempDir()})
}

// StartWith is Start with the caller's options, for tests that reuse a data
// dir across restarts or need a particular address. Zero BindAddress and
// SecurePort mean 127.0.0.1 and a free port.
func StartWith(tb testing.TB, opts cluster.Options) *cluster.Cluster {
	tb.Helper()
	_, ctx := ktesting.NewTestContext(tb)
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		tb.Fatalf("start cluster: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("stop cluster: %v", err)
		}
	})
	return c
}
