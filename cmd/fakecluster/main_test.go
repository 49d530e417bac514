package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// TestBinary builds the real binary and runs it as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fakecluster binary; skipped with -short")
	}
	bin := buildBinary(t)

	t.Run("serves until SIGTERM", func(t *testing.T) {
		t.Parallel()
		dataDir := filepath.Join(t.TempDir(), "state")
		cmd := exec.Command(bin, "--data-dir", dataDir, "--secure-port", "0")
		stdout := &firstLine{line: make(chan string, 1)}
		var stderr syncBuffer
		cmd.Stdout, cmd.Stderr = stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				<-exited
			}
		})

		var line string
		select {
		case line = <-stdout.line:
		case err := <-exited:
			t.Fatalf("fakecluster exited before it was ready: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(time.Minute):
			t.Fatalf("no start-up line within a minute\nstderr:\n%s", stderr.String())
		}
		m := regexp.MustCompile(`^fakecluster: serving on (https://\S+) \(data in (.+)\); the Kubernetes API arrives in a later release$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("start-up line = %q, want it to say where it serves and where the data is", line)
		}
		if m[2] != dataDir {
			t.Errorf("start-up line names data dir %q, want %q", m[2], dataDir)
		}

		resp, body := get(t, m[1]+"/readyz")
		if resp.StatusCode != http.StatusOK || body != "ok" {
			t.Errorf("GET /readyz = %d %q, want 200 \"ok\"", resp.StatusCode, body)
		}

		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("after SIGTERM: %v, want exit code 0\nstderr:\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("still running 30s after SIGTERM\nstderr:\n%s", stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dataDir, cluster.StorageFile)); err != nil {
			t.Errorf("storage file: %v", err)
		}
		if out := stdout.String(); out != line+"\n" {
			t.Errorf("stdout = %q, want only the start-up line", out)
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

func get(tb testing.TB, url string) (*http.Response, string) {
	tb.Helper()
	// The certificate is self-signed and made anew on every start.
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", url, err)
	}
	return resp, string(body)
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
