package apiserver_test

import (
	"flag"
	"io"
	"os"
	"testing"

	"k8s.io/klog/v2"
)

// TestMain keeps only errors from klog's global logger, which
// k8s.io/apiserver writes routine start-up and shutdown lines to for every
// cluster a test starts; go test would print them all with the benchmark
// results. Each cluster's own logger still logs through its test (ktesting).
func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "ERROR"} {
		if err := fs.Set(name, value); err != nil {
			panic(err)
		}
	}
	// Errors still reach stderr through stderrthreshold.
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}
