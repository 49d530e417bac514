package servers

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// client is the address requests come from: another pod's.
const client = "10.244.2.7"

func TestNetexecEndpoints(t *testing.T) {
	t.Parallel()
	pod := newFakePod(t, nil)
	pod.exec = func(p *proc.Proc) (int, error) {
		// sh -c 'echo hi; exit 3'
		if strings.Join(p.Args, " ") == "/bin/sh -c echo hi; exit 3" {
			fmt.Fprintln(p.Stdout, "hi")
			return 3, nil
		}
		fmt.Fprintln(p.Stdout, "ok")
		return 0, nil
	}
	r := pod.start(agnhost, nil, "/agnhost", "netexec", "--http-port=8080", "--udp-port=8081")
	pod.waitPort(8080)
	tests := []struct {
		name, path string
		wantStatus int
		wantBody   string // a regexp when it starts with ^
		wantHeader map[string]string
	}{
		{name: "root", path: "/", wantStatus: 200, wantBody: `^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$`},
		{name: "hostname", path: "/hostname", wantStatus: 200, wantBody: "web-0",
			wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "5"}},
		{name: "hostName", path: "/hostName", wantStatus: 200, wantBody: "web-0"},
		{name: "clientip is the peer's address", path: "/clientip", wantStatus: 200, wantBody: `^10\.244\.2\.7:400\d\d$`},
		{name: "echo", path: "/echo?msg=hi", wantStatus: 200, wantBody: "hi"},
		{name: "echo with code", path: "/echo?msg=gone&code=410", wantStatus: 410, wantBody: "gone"},
		{name: "echo bad code", path: "/echo?msg=x&code=abc", wantStatus: 200, wantBody: "argument 'code' must be an integer or empty, got \"abc\"\n"},
		{name: "healthz", path: "/healthz", wantStatus: 200, wantBody: ""},
		{name: "readyz", path: "/readyz", wantStatus: 200, wantBody: "ok"},
		{name: "header", path: "/header?key=User-Agent", wantStatus: 200, wantBody: "Go-http-client/1.1"},
		{name: "all headers", path: "/header", wantStatus: 200, wantBody: `{"Accept-Encoding":["gzip"],"Connection":["close"],"User-Agent":["Go-http-client/1.1"]}`},
		{name: "redirect", path: "/redirect?location=/echo%3Fmsg%3Dfoo&code=307", wantStatus: 307,
			wantHeader: map[string]string{"Location": "/echo?msg=foo"}, wantBody: "^<a href=\"/echo\\?msg=foo\">Temporary Redirect</a>.\n\n$"},
		{name: "shell", path: "/shell?cmd=date", wantStatus: 200, wantBody: `{"output":"ok\n"}`},
		{name: "shell failing", path: "/shell?cmd=echo+hi%3B+exit+3", wantStatus: 200, wantBody: `{"error":"exit status 3","output":"hi\n"}`},
		{name: "dial back to itself", path: "/dial?request=hostname&protocol=http&host=10.244.1.4&port=8080&tries=2", wantStatus: 200,
			wantBody: `{"responses":["web-0","web-0"]}`},
		{name: "dial a name from /etc/hosts", path: "/dial?request=hostname&host=web-0&port=8080", wantStatus: 200, wantBody: `{"responses":["web-0"]}`},
		{name: "dial refused", path: "/dial?request=hostname&host=10.244.3.3&port=80", wantStatus: 200,
			wantBody: `{"errors":["Get \"http://10.244.3.3:80/hostname\": dial tcp 10.244.3.3:80: connect: connection refused"]}`},
		{name: "dial unknown name", path: "/dial?request=hostname&host=nope&port=80", wantStatus: 400,
			wantBody: "host and/or port param are invalid. lookup nope on 10.96.0.10:53: i/o timeout\n"},
		{name: "dial without request", path: "/dial?host=10.244.1.4&port=8080", wantStatus: 400, wantBody: "request parameter not specified. <nil>\n"},
		{name: "unknown path is the root", path: "/nope", wantStatus: 200, wantBody: `^NOW: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body, err := pod.get(client, 8080, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if strings.HasPrefix(tt.wantBody, "^") {
				if !regexp.MustCompile(tt.wantBody).MatchString(body) {
					t.Errorf("body %q does not match %s", body, tt.wantBody)
				}
			} else if body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
	t.Cleanup(func() {
		log := r.stderr.String()
		for _, want := range []string{"Started HTTP server on port 8080\n", "Started UDP server on port  8081\n",
			"GET /hostname\n", "hostname: web-0\n", "GET /echo?msg=hi&code=\n", "GET /clientip\n",
			"Output: map[error:exit status 3 output:hi\n]\n", "GET /dial?host=10.244.1.4&protocol=http&port=8080&request=hostname&tries=2\n"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		if !regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Started HTTP server on port 8080$`).MatchString(log) {
			t.Errorf("log lines are not the log package's:\n%s", log)
		}
	})
}

func TestNetexecWithoutUDPIsNotHealthy(t *testing.T) {
	t.Parallel()
	pod := newFakePod(t, nil)
	pod.start(agnhost, nil, "/agnhost", "netexec", "--http-port", "8081", "--udp-port=-1")
	pod.waitPort(8081)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, _, err := pod.get(client, 8081, path)
		if err != nil || resp.StatusCode != http.StatusPreconditionFailed {
			t.Errorf("%s: %v %v, want 412", path, resp, err)
		}
	}
}

func TestNetexecExit(t *testing.T) {
	t.Parallel()
	t.Run("at once: no answer", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "netexec")
		pod.waitPort(8080)
		c, err := pod.connect(netip.MustParseAddr(client), 8080)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprint(c, "GET /exit?code=3 HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		if len(b) != 0 || err != nil {
			t.Errorf("got %q %v, want the connection closed without an answer", b, err)
		}
		if code := r.exit(t); code != 3 {
			t.Errorf("exit %d, want 3", code)
		}
		if !strings.Contains(r.stderr.String(), "Will begin shutdown in 0s, allowing 0s for connections to close, then will exit with 3\n") {
			t.Errorf("log:\n%s", r.stderr.String())
		}
	})
	t.Run("graceful", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "netexec")
		pod.waitPort(8080)
		resp, body, err := pod.get(client, 8080, "/exit?code=4&timeout=2s")
		if err != nil || resp.StatusCode != 200 || body != "" {
			t.Fatalf("%v %q %v", resp, body, err)
		}
		if code := r.exit(t); code != 4 {
			t.Errorf("exit %d, want 4", code)
		}
		if pod.listening(8080) {
			t.Error("still listening")
		}
		if !strings.Contains(r.stderr.String(), "Graceful shutdown completed with: <nil>\n") {
			t.Errorf("log:\n%s", r.stderr.String())
		}
	})
	t.Run("SIGTERM with a delay", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "netexec", "--delay-shutdown=1")
		pod.waitPort(8080)
		pod.signal(proc.SIGTERM)
		deadline := time.Now().Add(900 * time.Millisecond)
		for {
			resp, body, err := pod.get(client, 8080, "/readyz")
			if err == nil && resp.StatusCode == http.StatusServiceUnavailable && body == "shutting down" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz during the delay: %v %q %v", resp, body, err)
			}
		}
		if code := r.exit(t); code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		if !strings.Contains(r.stderr.String(), "Sleeping 1 seconds before terminating...\n") {
			t.Errorf("log:\n%s", r.stderr.String())
		}
	})
	t.Run("SIGINT is the Go runtime's", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "netexec")
		pod.waitPort(8080)
		pod.signal(proc.SIGINT)
		if code := r.exit(t); code != 2 {
			t.Errorf("exit %d, want 2 (a Go program as PID 1)", code)
		}
	})
}

func TestServeHostname(t *testing.T) {
	t.Parallel()
	t.Run("http", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "serve-hostname")
		pod.waitPort(9376)
		resp, body, err := pod.get(client, 9376, "/anything")
		if err != nil || resp.StatusCode != 200 || body != "web-0" {
			t.Fatalf("%v %q %v", resp, body, err)
		}
		log := r.stderr.String()
		if !strings.Contains(log, " Serving on port 9376.\n") || !regexp.MustCompile(` HTTP request from 10\.244\.2\.7:400\d\d\n`).MatchString(log) {
			t.Errorf("log:\n%s", log)
		}
	})
	t.Run("raw tcp", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "serve-hostname", "--http=false", "--tcp", "--port=9000")
		pod.waitPort(9000)
		c, err := pod.connect(netip.MustParseAddr(client), 9000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(bufio.NewReader(c))
		if string(b) != "web-0" {
			t.Errorf("got %q", b)
		}
		pod.signal(proc.SIGTERM)
		eventually(t, func() bool { return strings.Contains(r.stderr.String(), "Awaiting pod deletion.\n") })
		if !strings.Contains(r.stderr.String(), "Shutting down after receiving signal: terminated.\n") {
			t.Errorf("log:\n%s", r.stderr.String())
		}
	})
	t.Run("tcp and http at once", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(agnhost, nil, "/agnhost", "serve-hostname", "--tcp")
		if code := r.exit(t); code != 1 || !strings.HasSuffix(r.stderr.String(), " Can't serve TCP/UDP mode and HTTP mode at the same time\n") {
			t.Errorf("exit %d, log %q", code, r.stderr.String())
		}
	})
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAgnhostPause(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  proc.Signal
		want int
	}{{proc.SIGTERM, 2}, {proc.SIGINT, 1}, {proc.SIGHUP, 2}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			pod := newFakePod(t, nil)
			r := pod.start(agnhost, nil, "/agnhost", "pause")
			eventually(t, func() bool { return r.stdout.String() == "Paused\n" })
			pod.signal(tt.sig)
			if code := r.exit(t); code != tt.want {
				t.Errorf("exit %d, want %d", code, tt.want)
			}
		})
	}
}

func TestAgnhostCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		argv     []string
		wantCode int
		wantOut  string // prefix
		wantErr  string // suffix
	}{
		{name: "version", argv: []string{"--version"}, wantOut: "app version 2.53\n"},
		{name: "no command is the help", argv: nil, wantOut: "Usage:\n  app [command]\n\nAvailable Commands:\n"},
		{name: "unknown command", argv: []string{"nope"}, wantCode: 1, wantErr: "Error: unknown command \"nope\" for \"app\"\n"},
		{name: "unknown flag", argv: []string{"netexec", "--nope"}, wantCode: 1, wantErr: "\nError: unknown flag: --nope\n"},
		{name: "arguments", argv: []string{"pause", "x"}, wantCode: 1, wantErr: "Error: accepts at most 0 arg(s), received 1\n"},
		{name: "logging flags are accepted", argv: []string{"--v=2", "serve-hostname", "--help"}, wantOut: "Serves the hostname through HTTP / TCP / UDP on the given port.\n\nUsage:\n  app serve-hostname [flags]\n"},
		{name: "help command", argv: []string{"help", "pause"}, wantOut: "Pauses the execution."},
		{name: "unsimulated command", argv: []string{"mounttest"}, wantCode: 1, wantErr: "/agnhost mounttest: not simulated by fakecluster's container runtime\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := newFakePod(t, nil)
			r := pod.start(agnhost, nil, append([]string{"/agnhost"}, tt.argv...)...)
			code := r.exit(t)
			if code != tt.wantCode || !strings.HasPrefix(r.stdout.String(), tt.wantOut) || !strings.HasSuffix(r.stderr.String(), tt.wantErr) {
				t.Errorf("got %d\n%s\n%s\nwant %d, stdout starting %q, stderr ending %q", code, r.stdout.String(), r.stderr.String(), tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestTestWebserverAndPorter(t *testing.T) {
	t.Parallel()
	pod := newFakePod(t, map[string]string{"/srv/www/index.html": "<h1>hi</h1>\n", "/srv/a.txt": "a\n"})
	pod.start(agnhost, nil, "/agnhost", "test-webserver", "--port=8000")
	pod.start(agnhost, []string{"SERVE_PORT_9001=foo", "SERVE_TCP_PORT_9002=bar", "OTHER=x"}, "/agnhost", "porter")
	pod.waitPort(8000)
	pod.waitPort(9001)
	pod.waitPort(9002)
	tests := []struct {
		port       int
		path, want string
		header     string
	}{
		{8000, "/srv/a.txt", "a\n", "text/plain; charset=utf-8"},
		{8000, "/srv/www/", "<h1>hi</h1>\n", "text/html; charset=utf-8"},
		{8000, "/srv/", "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n<a href=\"a.txt\">a.txt</a>\n<a href=\"www/\">www/</a>\n</pre>\n", "text/html; charset=utf-8"},
		{9001, "/", "foo", "text/plain; charset=utf-8"},
		{9002, "/x", "bar", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		resp, body, err := pod.get(client, tt.port, tt.path)
		if err != nil || resp.StatusCode != 200 || body != tt.want || resp.Header.Get("Content-Type") != tt.header {
			t.Errorf("%d %s: %v %q %v", tt.port, tt.path, resp, body, err)
		}
		if tt.port == 8000 && resp != nil && resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("no CORS headers: %v", resp.Header)
		}
	}
}

func TestGoCandidates(t *testing.T) {
	t.Parallel()
	search := []string{"default.svc.cluster.local", "svc.cluster.local"}
	tests := []struct {
		name  string
		ndots int
		want  string
	}{
		{"backend", 5, "backend.default.svc.cluster.local. backend.svc.cluster.local. backend."},
		{"a.b.c.d.e", 5, "a.b.c.d.e.default.svc.cluster.local. a.b.c.d.e.svc.cluster.local. a.b.c.d.e."},
		{"a.b.c.d.e.f", 5, "a.b.c.d.e.f. a.b.c.d.e.f.default.svc.cluster.local. a.b.c.d.e.f.svc.cluster.local."},
		{"example.com.", 5, "example.com."},
		{"example.com", 1, "example.com. example.com.default.svc.cluster.local. example.com.svc.cluster.local."},
	}
	for _, tt := range tests {
		if got := strings.Join(goCandidates(tt.name, search, tt.ndots), " "); got != tt.want {
			t.Errorf("%s ndots:%d: %s, want %s", tt.name, tt.ndots, got, tt.want)
		}
	}
}
