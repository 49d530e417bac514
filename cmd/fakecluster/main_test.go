package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// TestBinary builds the real binary and runs it as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fakecluster binary; skipped with -short")
	}
	bin := buildBinary(t)

	t.Run("serves until SIGTERM, then restarts on the same data dir", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "state")
		p := startBinary(t, bin, "--data-dir", dataDir, "--secure-port", "0")
		if p.dataDir != dataDir {
			t.Errorf("start-up line names data dir %q, want %q", p.dataDir, dataDir)
		}
		if want := filepath.Join(dataDir, "kubeconfig"); p.kubeconfig != want {
			t.Errorf("start-up line names kubeconfig %q, want %q", p.kubeconfig, want)
		}
		info, err := os.Stat(p.kubeconfig)
		if err != nil {
			t.Fatalf("kubeconfig: %v", err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("kubeconfig mode = %o, want 600", perm)
		}
		client := kubeconfigClient(t, p.kubeconfig)
		if host := client.CoreV1().RESTClient().Get().URL().Host; "https://"+host != p.server {
			t.Errorf("kubeconfig server %s, start-up line says %s", host, p.server)
		}
		body, err := client.CoreV1().RESTClient().Get().AbsPath("/readyz").DoRaw(t.Context())
		if err != nil || string(body) != "ok" {
			t.Errorf("GET /readyz with the kubeconfig = %q, %v; want \"ok\"", body, err)
		}
		if _, err := client.CoreV1().ConfigMaps("default").Create(t.Context(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "survivor"}, Data: map[string]string{"k": "v"},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p.stop(t)
		if _, err := os.Stat(filepath.Join(dataDir, cluster.StorageFile)); err != nil {
			t.Errorf("storage file: %v", err)
		}

		kubeconfig := filepath.Join(t.TempDir(), "kube", "config")
		p = startBinary(t, bin, "--data-dir", dataDir, "--secure-port", "0", "--kubeconfig", kubeconfig)
		if p.kubeconfig != kubeconfig {
			t.Errorf("after restart, start-up line names kubeconfig %q, want %q", p.kubeconfig, kubeconfig)
		}
		cm, err := kubeconfigClient(t, kubeconfig).CoreV1().ConfigMaps("default").Get(t.Context(), "survivor", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if cm.Data["k"] != "v" {
			t.Errorf("after restart, configmap data = %v, want k=v", cm.Data)
		}
		p.stop(t)
	})

	t.Run("kubeconfig is a directory", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "state")
		stdout, stderr, code := run(t, bin, "--data-dir", dataDir, "--secure-port", "0", "--kubeconfig", t.TempDir())
		if code != 1 || stdout != "" || !strings.Contains(stderr, "--kubeconfig") {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout, stderr naming --kubeconfig", code, stdout, stderr)
		}
		if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a bad --kubeconfig created the data dir (stat: %v): bad flags must fail before anything starts", err)
		}
	})

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := run(t, bin, "--help")
		if code != 0 || stderr != "" || !strings.Contains(stdout, "--secure-port") {
			t.Errorf("fakecluster --help: exit %d, stderr %q, stdout:\n%s\nwant exit 0, usage on stdout only", code, stderr, stdout)
		}
	})

	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{{
		name:       "bad bind address",
		args:       []string{"--bind-address", "abc"},
		wantStderr: "fakecluster: invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\nRun 'fakecluster --help' for usage.\n",
	}, {
		name: "several bad flags",
		args: []string{"--bind-address", "abc", "--secure-port", "99999"},
		wantStderr: "fakecluster: invalid flags:\n" +
			"  invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\n" +
			"  invalid value \"99999\" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)\n" +
			"Run 'fakecluster --help' for usage.\n",
	}, {
		name:       "unknown flag",
		args:       []string{"--nope"},
		wantStderr: "fakecluster: unknown flag: --nope\nRun 'fakecluster --help' for usage.\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dataDir := filepath.Join(t.TempDir(), "state")
			stdout, stderr, code := run(t, bin, append([]string{"--data-dir", dataDir}, tt.args...)...)
			if code != 1 || stdout != "" || stderr != tt.wantStderr {
				t.Errorf("fakecluster %q: exit %d, stdout %q, stderr:\n%s\nwant exit 1, nothing on stdout, stderr:\n%s",
					tt.args, code, stdout, stderr, tt.wantStderr)
			}
			if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a bad command line created the data dir (stat: %v)", err)
			}
		})
	}
}

// buildBinary builds cmd/fakecluster into a temporary directory with the go
// command that runs this test (go test puts its GOROOT/bin first in PATH).
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "fakecluster")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs bin to completion and returns what it wrote and its exit code.
func run(tb testing.TB, bin string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("run fakecluster %q: %v", args, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// process is a running fakecluster and what its start-up line said.
type process struct {
	cmd                         *exec.Cmd
	exited                      chan error
	line                        string
	stdout                      *firstLine
	stderr                      *syncBuffer
	server, dataDir, kubeconfig string
}

// startupLine is what fakecluster prints, and only that, once it serves.
var startupLine = regexp.MustCompile(`^fakecluster: Kubernetes 1\.37 API on (https://\S+), data in (.+); kubeconfig: export KUBECONFIG=(.+)$`)

// startBinary runs bin with args until its start-up line, and kills it at the
// end of the test if it is still running then.
func startBinary(tb testing.TB, bin string, args ...string) *process {
	tb.Helper()
	p := &process{
		cmd:    exec.Command(bin, args...),
		exited: make(chan error, 1),
		stdout: &firstLine{line: make(chan string, 1)},
		stderr: &syncBuffer{},
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.line = <-p.stdout.line:
	case err := <-p.exited:
		tb.Fatalf("fakecluster exited before it was ready: %v\nstderr:\n%s", err, p.stderr.String())
	case <-time.After(time.Minute):
		tb.Fatalf("no start-up line within a minute\nstderr:\n%s", p.stderr.String())
	}
	m := startupLine.FindStringSubmatch(p.line)
	if m == nil {
		tb.Fatalf("start-up line = %q, want it to match %s", p.line, startupLine)
	}
	p.server, p.dataDir, p.kubeconfig = m[1], m[2], m[3]
	return p
}

// stop sends SIGTERM and checks for a clean, quiet exit: code 0, nothing on
// stderr, nothing on stdout but the start-up line.
func (p *process) stop(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			tb.Errorf("after SIGTERM: %v, want exit code 0\nstderr:\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatalf("still running 30s after SIGTERM\nstderr:\n%s", p.stderr.String())
	}
	if out := p.stdout.String(); out != p.line+"\n" {
		tb.Errorf("stdout = %q, want only the start-up line", out)
	}
	if errOut := p.stderr.String(); errOut != "" {
		tb.Errorf("stderr at -v 0 = %q, want nothing", errOut)
	}
}

// kubeconfigClient is a clientset configured only by the kubeconfig at path,
// as kubectl would be: its CA verifies the server, its token authenticates.
func kubeconfigClient(tb testing.TB, path string) kubernetes.Interface {
	tb.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		tb.Fatalf("load kubeconfig: %v", err)
	}
	if cfg.Insecure || len(cfg.CAData) == 0 || cfg.BearerToken == "" {
		tb.Fatalf("kubeconfig %s: insecure %v, %d bytes of CA, token set %v; want a CA and a token",
			path, cfg.Insecure, len(cfg.CAData), cfg.BearerToken != "")
	}
	cfg.Timeout = 10 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// firstLine collects a process's output and sends its first line, without the
// newline, as soon as it is complete.
type firstLine struct {
	syncBuffer
	line chan string
	sent bool
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && !w.sent {
		w.line <- string(w.buf.Bytes()[:i])
		w.sent = true
	}
	return len(p), nil
}

// syncBuffer is a bytes.Buffer that a running process may write to while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
