package clustertest

import (
	"testing"
	"time"
)

// Poll calls check every 20ms until it returns nil, and fails tb with
// check's last error once timeout has passed: for what controllers do
// asynchronously, with no fixed sleeps.
func Poll(tb testing.TB, timeout time.Duration, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
