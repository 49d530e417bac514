package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNestedMountSwap is the bind-mount attack on nested mounts: a container replaces the
// folder of its inner mount, through the outer one, with a link to a host folder outside the
// sandbox, then reads and writes through the inner mount. newPod's cleanup checks that
// nothing outside the pod directory changed.
func TestNestedMountSwap(t *testing.T) {
	t.Parallel()
	attacks := []struct{ name, cmd string }{
		{"remove and read", "rm -rf /data/sub && ln -s OUTSIDE /data/sub && cat /mnt/sub/secret"},
		{"remove and write", "rm -rf /data/sub && ln -s OUTSIDE /data/sub && echo pwned > /mnt/sub/secret"},
		{"relative link", "rm -rf /data/sub && ln -s ../../../outside /data/sub && ls -la /mnt/sub; cat /mnt/sub/*; rm -f /mnt/sub/secret"},
		{"move away", "mv /data/sub /data/old && ln -s OUTSIDE /data/sub && cat /mnt/sub/secret; echo pwned > /mnt/sub/new; mkdir /mnt/sub/d; chmod 777 /mnt/sub/secret"},
		{"work in it", "mv /data/sub /data/old && ln -s OUTSIDE /data/sub && cd /mnt/sub && cat secret; cp /etc/passwd .; touch secret"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			sub := filepath.Join(p.dir, "volumes", "data", "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			p.mounts = append(p.mounts, Mount{ContainerPath: "/mnt/sub", HostPath: sub})
			c := p.idle("busybox")
			r := run(t, c, "", "sh", "-c", strings.ReplaceAll(a.cmd, "OUTSIDE", "'"+p.outside+"'"))
			if strings.Contains(r.stdout, "do not touch") {
				t.Errorf("read the host file outside the mounts: %q", r.stdout)
			}
			if l, err := os.Readlink(sub); err != nil || !strings.Contains(l, "outside") {
				t.Errorf("the attack did not plant its link on the host: %q, %v", l, err)
			}
		})
	}
}

// openFDs counts this process' open file descriptors, or skips where /proc cannot tell.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(ents)
}

// TestContainerEndReleasesMounts counts file descriptors, so it does not run in parallel: a
// container holds its mounts' folders while it runs, and once Wait returns nothing is left
// open, even a file a killed process had open in a volume.
func TestContainerEndReleasesMounts(t *testing.T) {
	p := newPod(t, Options{})
	img := "busybox"
	// warm up what the runtime opens once (the image tree is built on first pull)
	c, _ := p.start(img, withCommand("true"))
	<-c.Wait()
	base := openFDs(t)

	c, _ = p.start(img, withCommand("sh", "-c", "echo started > /data/started; sleep infinity > /data/held"))
	eventually(t, "the container to start", func() bool {
		_, err := os.Stat(filepath.Join(p.dir, "volumes", "data", "held"))
		return err == nil
	})
	// the pod folder (for etc-hosts, etc-hostname, resolv.conf), the volume, and sleep's stdout
	if got := openFDs(t) - base; got != 3 {
		t.Errorf("a running container holds %d descriptors, want 3", got)
	}
	c.Kill()
	<-c.Wait()
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("after the container ended %d descriptors are still open", got)
	}

	// a container that cannot start releases its mounts too
	if _, err := p.sb.Start(t.Context(), ContainerConfig{Name: "bad", Image: c.img, Mounts: p.mounts, Command: []string{"/nosuch"}}); err == nil {
		t.Fatal("a missing program started")
	}
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("after a failed start %d descriptors are still open", got)
	}
}
