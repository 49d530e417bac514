package runtime

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// hostsFile is the kubelet-managed hosts file of the dual-stack seed pod.
const hostsFile = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.244.1.4\tpod01\na00:100::4\tpod01\n"

const resolvConf = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"

// pod is a sandbox with the kubelet's files on disk, the way the kubelet will set one up.
type pod struct {
	t       testing.TB
	rt      *Runtime
	sb      *Sandbox
	dir     string // the pod's host directory
	outside string // a sibling of dir that nothing may touch
	mounts  []Mount
	before  []string
}

func newPod(t testing.TB, opts Options) *pod {
	t.Helper()
	root := t.TempDir()
	p := &pod{t: t, rt: New(opts), dir: filepath.Join(root, "pod"), outside: filepath.Join(root, "outside")}
	for _, d := range []string{p.dir, p.outside, filepath.Join(p.dir, "volumes", "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(p.dir, "etc-hosts"), hostsFile)
	write(t, filepath.Join(p.dir, "etc-hostname"), "pod01\n")
	write(t, filepath.Join(p.dir, "resolv.conf"), resolvConf)
	write(t, filepath.Join(p.outside, "secret"), "do not touch")
	if err := os.Symlink(p.outside, filepath.Join(p.dir, "volumes", "data", "escape")); err != nil {
		t.Fatal(err)
	}
	p.mounts = []Mount{
		{ContainerPath: "/etc/hosts", HostPath: filepath.Join(p.dir, "etc-hosts")},
		{ContainerPath: "/etc/hostname", HostPath: filepath.Join(p.dir, "etc-hostname")},
		{ContainerPath: "/etc/resolv.conf", HostPath: filepath.Join(p.dir, "resolv.conf")},
		{ContainerPath: "/data", HostPath: filepath.Join(p.dir, "volumes", "data")},
	}
	p.sb = p.rt.NewSandbox(SandboxConfig{Hostname: "pod01", PodIPs: []netip.Prefix{
		netip.MustParsePrefix("10.244.1.4/24"), netip.MustParsePrefix("a00:100::4/64")}})
	p.before = snapshotTree(t, root, p.dir)
	t.Cleanup(func() {
		if diff := cmp.Diff(p.before, snapshotTree(t, root, p.dir)); diff != "" {
			t.Errorf("files outside the pod directory changed (-want +got):\n%s", diff)
		}
		if n := p.rt.panics.Load(); n != 0 {
			t.Errorf("%d program panics, last: %v", n, p.rt.lastPanic.Load())
		}
	})
	return p
}

func write(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshotTree lists every path under root except below skip, with file contents, plus the
// host's temporary directory entries the interpreter could have used.
func snapshotTree(t testing.TB, root, skip string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		line := p
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + string(b)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(os.TempDir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "sh-interp-") {
			out = append(out, "tmp fifo "+e.Name())
		}
	}
	sort.Strings(out)
	return out
}

type startOpt func(*ContainerConfig)

func withCommand(argv ...string) startOpt { return func(c *ContainerConfig) { c.Command = argv } }
func withEnv(env ...string) startOpt {
	return func(c *ContainerConfig) { c.Env = append(c.Env, env...) }
}

// start starts a container of image ref with the pod's mounts; its output is collected in
// the returned log. The container is killed at cleanup.
func (p *pod) start(ref string, opts ...startOpt) (*Container, *syncBuffer) {
	p.t.Helper()
	img, err := p.rt.PullImage(context.Background(), ref)
	if err != nil {
		p.t.Fatal(err)
	}
	log := &syncBuffer{}
	cfg := ContainerConfig{Name: "c", Image: img, Mounts: p.mounts, Stdout: log, Stderr: log,
		Env: []string{"MY_POD_IPS=10.244.1.4,a00:100::4", "KUBERNETES_SERVICE_HOST=10.96.0.1"}}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := p.sb.Start(context.Background(), cfg)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		c.Kill()
		<-c.Wait()
	})
	return c, log
}

// idle starts a container that runs until killed.
func (p *pod) idle(ref string) *Container {
	p.t.Helper()
	c, _ := p.start(ref, withCommand("sleep", "infinity"))
	return c
}

type execResult struct {
	stdout, stderr string
	code           int
	err            error
}

func run(t testing.TB, c *Container, stdin string, argv ...string) execResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var o, e bytes.Buffer
	var in *strings.Reader
	if stdin != "" {
		in = strings.NewReader(stdin)
	}
	var code int
	var err error
	if in != nil {
		code, err = c.Exec(ctx, argv, in, &o, &e, false, nil)
	} else {
		code, err = c.Exec(ctx, argv, nil, &o, &e, false, nil)
	}
	if ctx.Err() != nil {
		t.Fatalf("%q did not finish in time", argv)
	}
	return execResult{o.String(), e.String(), code, err}
}

// syncBuffer is a bytes.Buffer safe for the container's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

var (
	idRE   = regexp.MustCompile(`[0-9a-f]{64}`)
	dateRE = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9]\d \d\d:\d\d:\d\d UTC \d{4}\b`)
)

// normalize hides what changes between runs: IDs and the current date.
func normalize(s string) string {
	s = idRE.ReplaceAllString(s, "<id>")
	return dateRE.ReplaceAllString(s, "<date>")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

func goroutines() int { return goruntime.NumGoroutine() }
