package servers

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

func TestHTTPEcho(t *testing.T) {
	t.Parallel()
	pod := newFakePod(t, nil)
	r := pod.start(httpEcho, []string{"ECHO_TEXT=hello-world"}, "/http-echo", "-text=apple")
	pod.start(httpEcho, []string{"ECHO_TEXT=hello-world"}, "/http-echo", "-listen=:8080", "-status-code", "418")
	pod.waitPort(5678)
	pod.waitPort(8080)
	tests := []struct {
		name, path string
		port       int
		wantStatus int
		wantBody   string
	}{
		{name: "text", port: 5678, path: "/", wantStatus: 200, wantBody: "apple\n"},
		{name: "any path", port: 5678, path: "/some/where?x=1", wantStatus: 200, wantBody: "apple\n"},
		{name: "health", port: 5678, path: "/health", wantStatus: 200, wantBody: "{\"status\":\"ok\"}\n"},
		{name: "ECHO_TEXT and -status-code", port: 8080, path: "/", wantStatus: 418, wantBody: "hello-world\n"},
		{name: "health ignores -status-code", port: 8080, path: "/health", wantStatus: 200, wantBody: "{\"status\":\"ok\"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body, err := pod.get(client, tt.port, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range map[string]string{"X-App-Name": "http-echo", "X-App-Version": "1.0.0", "Content-Type": "text/plain; charset=utf-8"} {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
	t.Cleanup(func() {
		if !strings.HasSuffix(r.stderr.String(), " [INFO] server is listening on :5678\n") {
			t.Errorf("stderr:\n%s", r.stderr.String())
		}
		// one line per request to a path other than /health
		access := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d 10\.244\.1\.4:5678 10\.244\.2\.7:400\d\d "GET (/|/some/where) HTTP/1\.1" 200 6 "Go-http-client/1\.1" \S+s$`)
		lines := strings.Split(strings.TrimSuffix(r.stdout.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Errorf("access log:\n%s", r.stdout.String())
		}
		for _, l := range lines {
			if !access.MatchString(l) {
				t.Errorf("access log line %q does not match %s", l, access)
			}
		}
	})
}

func TestHTTPEchoCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fn       proc.Func
		env      []string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "no text", fn: httpEcho, wantCode: 127, wantErr: "Missing -text option or ECHO_TEXT env var!\n"},
		{name: "arguments", fn: httpEcho, args: []string{"-text=a", "b"}, wantCode: 127, wantErr: "Too many arguments!\n"},
		{name: "unknown flag", fn: httpEcho, args: []string{"-nope"}, wantCode: 2,
			wantErr: "flag provided but not defined: -nope\nUsage of /http-echo:\n  -listen string\n    \taddress and port to listen (default \":5678\")\n" +
				"  -status-code int\n    \thttp response code, e.g.: 200 (default 200)\n  -text string\n    \ttext to put on the webpage\n  -version\n    \tdisplay version information\n"},
		{name: "version", fn: httpEcho, args: []string{"-version"}, wantOut: "http-echo v1.0.0 (866d8f8313e92d96f940c2f0cf807abe934ab145)\nBuilt: 2023-10-10T20:43:58Z\n"},
		{name: "0.2.3 ignores ECHO_TEXT", fn: httpEchoLegacy, env: []string{"ECHO_TEXT=x"}, wantCode: 127, wantErr: "Missing -text option!\n"},
		{name: "0.2.3 has no -status-code", fn: httpEchoLegacy, args: []string{"-text=a", "-status-code=201"}, wantCode: 2},
		{name: "0.2.3 version", fn: httpEchoLegacy, args: []string{"--version"}, wantErr: "http-echo v0.2.3 (f375b4d)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := newFakePod(t, nil)
			r := pod.start(tt.fn, tt.env, append([]string{"/http-echo"}, tt.args...)...)
			code := r.exit(t)
			if code != tt.wantCode || r.stdout.String() != tt.wantOut || (tt.wantErr != "" && r.stderr.String() != tt.wantErr) {
				t.Errorf("got %d %q %q\nwant %d %q %q", code, r.stdout.String(), r.stderr.String(), tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestHTTPEchoSignals(t *testing.T) {
	t.Parallel()
	t.Run("1.0.0 shuts down on SIGTERM with status 2", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(httpEcho, []string{"ECHO_TEXT=hello-world"}, "/http-echo")
		pod.waitPort(5678)
		pod.signal(proc.SIGTERM)
		if code := r.exit(t); code != 2 || !strings.HasSuffix(r.stderr.String(), " [INFO] received interrupt, shutting down...\n") {
			t.Errorf("exit %d, stderr:\n%s", code, r.stderr.String())
		}
	})
	t.Run("0.2.3 ignores SIGTERM", func(t *testing.T) {
		t.Parallel()
		pod := newFakePod(t, nil)
		r := pod.start(httpEchoLegacy, nil, "/http-echo", "-text", "old")
		pod.waitPort(5678)
		pod.signal(proc.SIGTERM)
		eventually(t, func() bool { return strings.HasSuffix(r.stderr.String(), " [ERR] Unknown signal terminated\n") })
		resp, body, err := pod.get(client, 5678, "/")
		if err != nil || body != "old\n" || resp.Header.Get("X-App-Version") != "0.2.3" {
			t.Fatalf("%v %q %v", resp, body, err)
		}
		pod.signal(proc.SIGINT)
		if code := r.exit(t); code != 2 || !strings.Contains(r.stderr.String(), " Server is listening on :5678\n") ||
			!strings.HasSuffix(r.stderr.String(), " [INFO] Received interrupt\n") {
			t.Errorf("exit %d, stderr:\n%s", code, r.stderr.String())
		}
	})
}
