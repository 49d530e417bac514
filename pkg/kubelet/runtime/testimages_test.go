package runtime

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func withArgs(args ...string) startOpt { return func(c *ContainerConfig) { c.Args = args } }

// podGet sends GET path to port of the pod from the address from (another pod's) and
// returns the response, its body, and the connection's own address as the client sees it.
func podGet(t *testing.T, sb *Sandbox, from string, port int, path string) (*http.Response, string, net.Addr) {
	t.Helper()
	conn, err := sb.Connect(context.Background(), netip.MustParseAddr(from), port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 10.244.1.4:%d\r\nUser-Agent: curl/8.11.1\r\nConnection: close\r\n\r\n", path, port)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(b), conn.LocalAddr()
}

// TestTestImagesThroughThePodNetwork starts agnhost netexec and http-echo as a Deployment's
// container would and talks to them from another pod's address.
func TestTestImagesThroughThePodNetwork(t *testing.T) {
	t.Parallel()
	const from = "10.244.2.7"
	p := newPod(t, Options{})
	agn, agnLog := p.start("registry.k8s.io/e2e-test-images/agnhost:2.53", withArgs("netexec", "--http-port=8080", "--udp-port=8081"))
	_, echoLog := p.start("hashicorp/http-echo:1.0", withArgs("-text=hi from http-echo", "-listen=:5678"))
	waitPort(t, p.sb, 8080)
	waitPort(t, p.sb, 5678)

	t.Run("hostname", func(t *testing.T) {
		if _, body, _ := podGet(t, p.sb, from, 8080, "/hostname"); body != "pod01" {
			t.Errorf("got %q", body)
		}
	})
	t.Run("clientip is the connecting pod's address", func(t *testing.T) {
		_, body, local := podGet(t, p.sb, from, 8080, "/clientip")
		if !strings.HasPrefix(body, from+":") || body != local.String() {
			t.Errorf("got %q, want %s", body, local)
		}
	})
	t.Run("echo", func(t *testing.T) {
		resp, body, _ := podGet(t, p.sb, from, 8080, "/echo?msg=hi")
		if resp.StatusCode != 200 || body != "hi" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("got %d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("shell runs in the container", func(t *testing.T) {
		if _, body, _ := podGet(t, p.sb, from, 8080, "/shell?cmd=hostname"); body != `{"output":"pod01\n"}` {
			t.Errorf("got %q", body)
		}
	})
	t.Run("dial reaches the other container over localhost", func(t *testing.T) {
		_, body, _ := podGet(t, p.sb, from, 8080, "/dial?request=x&host=127.0.0.1&port=5678")
		if body != `{"responses":["hi from http-echo\n"]}` {
			t.Errorf("got %q", body)
		}
	})
	t.Run("http-echo", func(t *testing.T) {
		resp, body, _ := podGet(t, p.sb, from, 5678, "/")
		if resp.StatusCode != 200 || body != "hi from http-echo\n" || resp.Header.Get("X-App-Name") != "http-echo" || resp.Header.Get("X-App-Version") != "1.0.0" {
			t.Errorf("got %d %q %v", resp.StatusCode, body, resp.Header)
		}
		if _, body, _ := podGet(t, p.sb, from, 5678, "/health"); body != "{\"status\":\"ok\"}\n" {
			t.Errorf("health: %q", body)
		}
	})
	t.Run("wget from inside agnhost", func(t *testing.T) {
		if r := run(t, agn, "", "wget", "-qO-", "http://localhost:8080/hostname"); r.stdout != "pod01" || r.code != 0 {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("logs", func(t *testing.T) {
		if log := agnLog.String(); !strings.Contains(log, " Started HTTP server on port 8080\n") || !strings.Contains(log, " GET /clientip\n") {
			t.Errorf("agnhost log:\n%s", log)
		}
		access := regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d 10\.244\.1\.4:5678 10\.244\.2\.7:\d+ "GET / HTTP/1\.1" 200 18 "curl/8\.11\.1" \S+$`)
		if log := echoLog.String(); !access.MatchString(log) || !strings.Contains(log, " [INFO] server is listening on :5678\n") {
			t.Errorf("http-echo log:\n%s", log)
		}
	})
	t.Run("exit ends the container with the code", func(t *testing.T) {
		conn, err := p.sb.Connect(context.Background(), netip.MustParseAddr(from), 8080)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /exit?code=7 HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, _ := io.ReadAll(conn); len(b) != 0 {
			t.Errorf("answered %q", b)
		}
		select {
		case <-agn.Wait():
		case <-time.After(5 * time.Second):
			t.Fatal("the container did not exit")
		}
		if code := agn.ExitCode(); code != 7 {
			t.Errorf("exit code %d, want 7", code)
		}
	})
}

// TestWebServersLogTheClientPod checks that nginx and httpd log the connecting pod's address
// and serve what is in their document root at request time.
func TestWebServersLogTheClientPod(t *testing.T) {
	t.Parallel()
	const from = "10.244.2.7"
	for _, tt := range []struct {
		image, root, logLine string
	}{
		{"nginx", "/usr/share/nginx/html", `(?m)^10\.244\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET / HTTP/1\.1" 200 3 "-" "curl/8\.11\.1" "-"$`},
		{"registry.k8s.io/nginx-slim:0.24", "/usr/share/nginx/html", `(?m)^10\.244\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET / HTTP/1\.1" 200 3 "-" "curl/8\.11\.1" "-"$`},
		{"httpd", "/usr/local/apache2/htdocs", `(?m)^10\.244\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET / HTTP/1\.1" 200 3$`},
	} {
		t.Run(tt.image, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			c, log := p.start(tt.image)
			waitPort(t, p.sb, 80)
			run(t, c, "", "sh", "-c", "echo hi > "+tt.root+"/index.html")
			if _, body, _ := podGet(t, p.sb, from, 80, "/"); body != "hi\n" {
				t.Errorf("got %q", body)
			}
			if !regexp.MustCompile(tt.logLine).MatchString(log.String()) {
				t.Errorf("access log:\n%s", log.String())
			}
		})
	}
}

// TestStatefulSetTutorialWeb does what the StatefulSet Basics tutorial does with
// nginx-slim: its claim is mounted over the document root, `kubectl exec` writes the pod's
// hostname into index.html, and curl from another pod gets it back (a 403 before, as the
// mounted folder has no index.html).
func TestStatefulSetTutorialWeb(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	p.mounts = append(p.mounts, Mount{ContainerPath: "/usr/share/nginx/html", HostPath: filepath.Join(p.dir, "volumes", "data")})
	c, _ := p.start("registry.k8s.io/nginx-slim:0.24")
	waitPort(t, p.sb, 80)
	if resp, _, _ := podGet(t, p.sb, "10.244.2.7", 80, "/"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET / of an empty document root: %s, want 403", resp.Status)
	}
	if r := run(t, c, "", "sh", "-c", "echo \"$(hostname)\" > /usr/share/nginx/html/index.html"); r.code != 0 {
		t.Fatalf("exec: %d %s", r.code, r.stderr)
	}
	resp, body, _ := podGet(t, p.sb, "10.244.2.7", 80, "/")
	if resp.StatusCode != http.StatusOK || body != "pod01\n" {
		t.Errorf("GET / = %s %q, want 200 %q", resp.Status, body, "pod01\n")
	}
	if got := resp.Header.Get("Server"); !strings.HasPrefix(got, "nginx/") {
		t.Errorf("Server %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(p.dir, "volumes", "data", "index.html")); err != nil || string(b) != "pod01\n" {
		t.Errorf("the claim's folder holds %q, %v", b, err)
	}
}
