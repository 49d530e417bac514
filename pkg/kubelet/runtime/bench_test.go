package runtime

import (
	"context"
	"io"
	"testing"
)

// BenchmarkStartExit starts a container with the pod's mounts whose command reads a mounted
// file and exits, and waits for it.
func BenchmarkStartExit(b *testing.B) {
	p := newPod(b, Options{})
	img, err := p.rt.PullImage(context.Background(), "busybox")
	if err != nil {
		b.Fatal(err)
	}
	cfg := ContainerConfig{Name: "c", Image: img, Mounts: p.mounts, Command: []string{"cat", "/etc/hosts"}}
	for b.Loop() {
		c, err := p.sb.Start(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		<-c.Wait()
		if c.ExitCode() != 0 {
			b.Fatalf("exit code %d", c.ExitCode())
		}
	}
}

// BenchmarkExec runs commands touching the mounts in a running container.
func BenchmarkExec(b *testing.B) {
	p := newPod(b, Options{})
	c := p.idle("busybox")
	for _, cmd := range [][]string{
		{"cat", "/etc/hosts", "/etc/resolv.conf"},
		{"sh", "-c", "echo x > /data/f && cat /data/f && ls /data >/dev/null"},
	} {
		b.Run(cmd[0], func(b *testing.B) {
			for b.Loop() {
				code, err := c.Exec(context.Background(), cmd, nil, io.Discard, io.Discard, false, nil)
				if err != nil || code != 0 {
					b.Fatalf("%q: %d, %v", cmd, code, err)
				}
			}
		})
	}
}
