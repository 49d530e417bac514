package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// forwardingLine is kubectl port-forward's line for its IPv4 listener.
var forwardingLine = regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) -> 80$`)

// TestPortForward forwards a local port to a pod's nginx through each
// kubectl, as `kubectl port-forward pod/web :80` and `svc/web :80` do for
// a user (kubectl resolves the Service to a pod and its target port), and
// fetches the welcome page through it.
func TestPortForward(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fakecluster and kubectl and runs them; skipped with -short")
	}
	for _, c := range clients(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, c, startCluster(t))
			for _, args := range [][]string{
				{"run", "web", "--image", "nginx", "--port", "80", "--expose"},
				{"wait", "--for=condition=Ready", "pod/web", "--timeout=60s"},
			} {
				if r := e.kubectl(t, args...); r.code != 0 {
					t.Fatalf("kubectl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
				}
			}
			for _, target := range []string{"pod/web", "svc/web"} {
				forward(t, e, target)
			}
		})
	}
}

// forward runs kubectl port-forward target :80 and GETs nginx's welcome
// page twice over the one forward.
func forward(t *testing.T, e *env, target string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, "port-forward", target, ":80")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // Ctrl-C, as a user stops it
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := forwardingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	local, ok := <-addr
	if !ok {
		t.Fatalf("kubectl port-forward printed no IPv4 listener\nstderr:\n%s", stderr.String())
	}
	for i := range 2 { // a second connection over the same forward
		resp, err := http.Get("http://" + local + "/")
		if err != nil {
			t.Fatalf("GET %d through the forward: %v\nstderr:\n%s", i, err, stderr.String())
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>Welcome to nginx!</title>") {
			t.Fatalf("GET %d through the forward: %s %v\n%s", i, resp.Status, err, body)
		}
	}
}
