package clustertest

import (
	"flag"
	"io"
	"os"
	"testing"

	"k8s.io/klog/v2"
)

// Main runs a test binary's tests, as TestMain would, with klog's global
// logger kept to errors: k8s.io/apiserver writes routine start-up and
// shutdown lines there for every cluster a test starts, and go test would
// print them all with the results. Each cluster's own logger still logs
// through its test (ktesting). Use it as
//
//	func TestMain(m *testing.M) { clustertest.Main(m) }
func Main(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{"logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "ERROR"} {
		if err := fs.Set(name, value); err != nil {
			panic(err) // the flags are klog's own: only a klog change makes this fail
		}
	}
	// Errors still reach stderr through stderrthreshold.
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}
