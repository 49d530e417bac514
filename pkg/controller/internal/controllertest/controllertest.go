package controllertest

import (
	"context"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/informers"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// Without is the --controllers list that runs every controller but those
// named, as cluster.Options.Controllers takes it.
func Without(names ...string) []string {
	out := []string{"*"}
	for _, n := range names {
		out = append(out, "-"+n)
	}
	return out
}

// StartWithout starts a cluster for tb, as clustertest.Start does, that
// runs every controller but those named: the ones the test runs itself.
func StartWithout(tb testing.TB, names ...string) *cluster.Cluster {
	tb.Helper()
	return clustertest.StartWith(tb, cluster.Options{Controllers: Without(names...)})
}

// Context is a context for Run whose logger writes through tb, or
// discards in a benchmark, whose logs go test prints even when it passes.
func Context(tb testing.TB) context.Context {
	if _, bench := tb.(*testing.B); bench {
		return klog.NewContext(context.Background(), logr.Discard())
	}
	_, ctx := ktesting.NewTestContext(tb)
	return ctx
}

// Run starts factory, if not nil, and calls every one of runs (a
// controller's Run, with its number of workers) in its own goroutine with
// a child of ctx, until stop is called or tb ends. stop cancels that
// context, waits for every run to return, then shuts factory down; calling
// it again does nothing.
func Run(ctx context.Context, tb testing.TB, factory informers.SharedInformerFactory, runs ...func(context.Context)) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(ctx)
	if factory != nil {
		factory.Start(ctx.Done())
	}
	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() { run(ctx) })
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			if factory != nil {
				factory.Shutdown()
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}
