package runtime

import (
	"context"
	"net/netip"
	goruntime "runtime"
	"testing"
	"time"
)

// TestIdleContainersAreCheap starts 10,000 nginx containers (each waiting for its stop
// signal) and checks what they cost: one blocked goroutine and well under 100 KiB each.
func TestIdleContainersAreCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10,000 containers")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory distorts the figures")
	}
	const n = 10000
	rt := New(Options{})
	img, err := rt.PullImage(context.Background(), "nginx")
	if err != nil {
		t.Fatal(err)
	}
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	g0 := goroutines()
	cs := make([]*Container, 0, n)
	for i := range n {
		sb := rt.NewSandbox(SandboxConfig{Hostname: "web", PodIPs: []netip.Prefix{
			netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i)}), 24)}})
		c, err := sb.Start(context.Background(), ContainerConfig{Name: "nginx", Image: img})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	eventually(t, "every nginx to listen", func() bool {
		for _, c := range cs[len(cs)-10:] {
			if len(c.Sandbox().ListeningPorts()) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(100 * time.Millisecond)
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	perContainer := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / n
	extra := goroutines() - g0
	t.Logf("%d idle containers: %d bytes and %.2f goroutines each", n, perContainer, float64(extra)/n)
	if perContainer > 100<<10 {
		t.Errorf("an idle container costs %d bytes, want under 100 KiB", perContainer)
	}
	if extra > n+10 {
		t.Errorf("%d goroutines for %d idle containers", extra, n)
	}
	start := time.Now()
	for _, c := range cs {
		c.Stop(time.Second)
	}
	t.Logf("stopped %d containers in %v", n, time.Since(start))
}
