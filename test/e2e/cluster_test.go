package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cluster is a running fakecluster binary.
type cluster struct {
	kubeconfig string
	// port matches the HTTPS port it picked, which the kubernetes Service
	// and its EndpointSlice show.
	port *regexp.Regexp
}

// startupLine is the one line fakecluster prints once it serves.
var startupLine = regexp.MustCompile(`^fakecluster: Kubernetes \S+ API on https://(\S+), data in (.+); kubeconfig: export KUBECONFIG=(.+)$`)

// startCluster runs the fakecluster binary, with flags, on a free port with
// its data in tb.TempDir() and waits for its start-up line. At cleanup it sends SIGTERM
// and checks that the process exits 0 without having written to stderr.
func startCluster(tb testing.TB, flags ...string) *cluster {
	tb.Helper()
	dataDir := filepath.Join(tb.TempDir(), "data")
	cmd := exec.Command(bin.fakecluster, append([]string{"--data-dir", dataDir, "--secure-port", "0"}, flags...)...)
	stdout := &firstLine{line: make(chan string, 1)}
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error // once exited is closed
	go func() { exitErr = cmd.Wait(); close(exited) }()
	var line string // the start-up line, once read

	tb.Cleanup(func() {
		select {
		case <-exited:
			return // it stopped by itself, and the test has said so
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			tb.Errorf("SIGTERM fakecluster: %v", err)
		}
		select {
		case <-exited:
			if exitErr != nil {
				tb.Errorf("fakecluster after SIGTERM: %v, want exit code 0\nstderr:\n%s", exitErr, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			tb.Errorf("fakecluster still running 30s after SIGTERM; killed it\nstderr:\n%s", stderr.String())
		}
		if s := unexpectedStderr(stderr.String()); s != "" {
			tb.Errorf("fakecluster wrote to stderr (at -v 0 it logs only errors):\n%s", s)
		}
		if s, _ := strings.CutPrefix(stdout.String(), line+"\n"); s != "" {
			tb.Errorf("fakecluster printed more than its start-up line:\n%s", s)
		}
	})

	select {
	case line = <-stdout.line:
	case <-exited:
		tb.Fatalf("fakecluster exited before it served: %v\nstderr:\n%s", exitErr, stderr.String())
	case <-time.After(time.Minute):
		tb.Fatalf("fakecluster printed no start-up line within a minute\nstderr:\n%s", stderr.String())
	}
	m := startupLine.FindStringSubmatch(line)
	if m == nil {
		tb.Fatalf("fakecluster start-up line = %q, want it to match %s", line, startupLine)
	}
	if m[2] != dataDir {
		tb.Errorf("start-up line names data dir %q, want %q", m[2], dataDir)
	}
	i := strings.LastIndexByte(m[1], ':')
	return &cluster{kubeconfig: m[3], port: regexp.MustCompile(`\b` + m[1][i+1:] + `\b`)}
}

// env is one scenario's kubectl set-up: a client, a cluster, and a HOME and
// TMPDIR of its own (kubectl caches discovery under HOME; kubectl diff
// writes under TMPDIR).
type env struct {
	client  client
	cluster *cluster
	home    string
	tmp     string
	dir     string // working directory: testdata, where the manifests are
}

func newEnv(tb testing.TB, c client, cl *cluster) *env {
	tb.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		tb.Fatal(err)
	}
	return &env{client: c, cluster: cl, home: tb.TempDir(), tmp: tb.TempDir(), dir: dir}
}

// result is what one kubectl command did.
type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs kubectl with args to completion, its standard input empty.
func (e *env) kubectl(tb testing.TB, args ...string) result {
	tb.Helper()
	return e.run(tb, nil, args...)
}

// kubectlStdin runs kubectl with args to completion, stdin on its standard
// input.
func (e *env) kubectlStdin(tb testing.TB, stdin string, args ...string) result {
	tb.Helper()
	return e.run(tb, strings.NewReader(stdin), args...)
}

func (e *env) run(tb testing.TB, stdin io.Reader, args ...string) result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("kubectl %s: no exit within a minute\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// command is kubectl with args in e's environment, and nothing else of the
// test's: no KUBECTL_* settings, no user kubeconfig or kuberc.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.client.path, args...)
	cmd.Dir = e.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), // kubectl diff runs diff(1)
		"HOME=" + e.home,
		"KUBECONFIG=" + e.cluster.kubeconfig,
		"TMPDIR=" + e.tmp,
	}
	return cmd
}

// firstLine collects a process's output and sends its first line, without
// the newline, as soon as it is complete.
type firstLine struct {
	syncBuffer
	line chan string // buffered; receives one line
	sent bool
}

func (w *firstLine) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if !w.sent {
		if l, _, ok := strings.Cut(w.String(), "\n"); ok {
			w.line <- l
			w.sent = true
		}
	}
	return n, err
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
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

// knownStderr is what k8s.io/apiserver itself logs at -v 0 when things go
// right: its websocket-to-SPDY translator (kubectl exec) logs the read it
// had in flight when the finished session's connection closes, and the
// copy of stdout or stderr its SPDY side had in flight then, as
// kube-apiserver does; and its watch handler logs the event it was writing
// when a client (kubectl get -w ending) closed the HTTP/2 stream; and its
// proxy logs the copy it had in flight when a tunnelled port-forward's
// kubectl exited on Ctrl-C (websocket closed abnormally, connection reset);
// and a server-side apply of a custom resource with a field its CRD's
// schema lacks, which kube-apiserver answers with a 500 whose plain error
// it logs.
var knownStderr = regexp.MustCompile(`"Error on socket receive" err="read tcp [^"]*: use of closed network connection"` +
	`|"Unhandled Error" err="apiserver received an error that is not an metav1.Status: .*failed to create typed patch object .*: field not declared in schema"` +
	`|"Copying std(out|err) failed" err="use of closed network connection"` +
	`|"Failed to encode watch event" err="http2: stream closed"` +
	`|"Error proxying data from (client to backend|backend to client)" err="[^"]*"`)

// unexpectedStderr is stderr without the lines knownStderr matches.
func unexpectedStderr(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" && !knownStderr.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
