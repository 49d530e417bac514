package clustertest

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/storage"
)

// Start runs a cluster for tb: its state lives in tb.TempDir(), it listens on
// a free loopback port, it logs through tb (not in benchmarks, whose logs go
// test prints even when they pass), and it is stopped when tb ends,
// failing tb if stopping does or if the storage it leaves behind is not
// consistent. Tests that each call Start can run in parallel.
func Start(tb testing.TB) *cluster.Cluster {
	tb.Helper()
	return StartWith(tb, cluster.Options{})
}

// StartWith is Start with the caller's options, for tests that reuse a data
// dir across restarts, need a particular address or network, or run only
// some controllers. An empty DataDir means a new temporary one; zero
// BindAddress and SecurePort mean 127.0.0.1 and a free port.
func StartWith(tb testing.TB, opts cluster.Options) *cluster.Cluster {
	tb.Helper()
	if opts.DataDir == "" {
		opts.DataDir = tb.TempDir()
	}
	ctx := klog.NewContext(context.Background(), logr.Discard())
	if _, bench := tb.(*testing.B); !bench {
		_, ctx = ktesting.NewTestContext(tb)
	}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		tb.Fatalf("start cluster: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("stop cluster: %v", err)
			return
		}
		checkStorage(tb, c.DataDir())
	})
	return c
}

// StartControlPlane is StartWith with no nodes and no scheduler: the API
// server and the other controllers, for tests of the API and of
// controllers under which pods must stay as the test made them (neither
// bound nor marked unschedulable), even on Nodes the test creates.
func StartControlPlane(tb testing.TB, opts cluster.Options) *cluster.Cluster {
	tb.Helper()
	opts.Nodes = cluster.NoNodes
	if opts.Controllers == nil {
		opts.Controllers = []string{"*"}
	}
	opts.Controllers = append(slices.Clone(opts.Controllers), "-default-scheduler")
	return StartWith(tb, opts)
}

// StartAPI is StartWith with no controllers and no nodes: only the API
// server and what it bootstraps, for tests of the API itself or of one
// component the test builds and runs against it, so that nothing the test
// did not ask for races it.
func StartAPI(tb testing.TB, opts cluster.Options) *cluster.Cluster {
	tb.Helper()
	opts.Controllers = cluster.NoControllers()
	opts.Nodes = cluster.NoNodes
	return StartWith(tb, opts)
}

// checkStorage reopens a stopped cluster's database and checks its
// invariants, as bbolt's own test helper does before closing.
func checkStorage(tb testing.TB, dataDir string) {
	tb.Helper()
	db, err := storage.Open(filepath.Join(dataDir, cluster.StorageFile), storage.Options{CompactInterval: -1})
	if err != nil {
		tb.Errorf("reopen storage after stop: %v", err)
		return
	}
	if err := db.Check(); err != nil {
		tb.Errorf("storage after stop: %v", err)
	}
	if err := db.Close(); err != nil {
		tb.Errorf("close storage after check: %v", err)
	}
}

// Client is a clientset for c with full access and no client-side rate
// limit, so tests and benchmarks measure the server, not client-go.
func Client(tb testing.TB, c *cluster.Cluster) kubernetes.Interface {
	tb.Helper()
	client, err := kubernetes.NewForConfig(Config(c))
	if err != nil {
		tb.Fatalf("clientset for %s: %v", c.Addr(), err)
	}
	return client
}

// Config is c.RESTConfig() without client-side rate limiting.
func Config(c *cluster.Cluster) *rest.Config {
	cfg := c.RESTConfig()
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	return cfg
}
