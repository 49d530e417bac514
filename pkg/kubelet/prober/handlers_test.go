package prober

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestExec(t *testing.T) {
	t.Parallel()
	t.Run("command expanded with the container's static env", func(t *testing.T) {
		t.Parallel()
		c := execContainer(corev1.Probe{}, "sh", "-c", "cat $(FILE) $(FROM) $(NOPE) $$(FILE)")
		c.Env = []corev1.EnvVar{
			{Name: "FILE", Value: "/tmp/healthy"},
			{Name: "FROM", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		}
		h := start(t, Liveness, c)
		call := h.nextExec()
		call.reply <- ok()
		want := []string{"sh", "-c", "cat /tmp/healthy  $(NOPE) $(FILE)"}
		if diff := cmp.Diff(want, call.cmd); diff != "" {
			t.Errorf("command (-want +got):\n%s", diff)
		}
		h.waitIdle()
		h.stop()
	})
	t.Run("output kept to 10KiB", func(t *testing.T) {
		t.Parallel()
		h := start(t, Readiness, execContainer(corev1.Probe{}, "check"))
		h.nextExec().reply <- fail(strings.Repeat("x", 11<<10))
		h.waitEvents("failure Readiness probe failed: " + strings.Repeat("x", 10<<10))
		h.stop()
	})
	t.Run("exit code 0 with output", func(t *testing.T) {
		t.Parallel()
		h := start(t, Readiness, execContainer(corev1.Probe{}, "check"))
		h.nextExec().reply <- execReply{output: "warming up\n", code: 0}
		h.waitEvents("result Success")
		h.stop()
	})
	t.Run("timeoutSeconds", func(t *testing.T) {
		t.Parallel()
		h := start(t, Liveness, execContainer(corev1.Probe{TimeoutSeconds: 5, FailureThreshold: 1}, "sleep", "10"))
		h.nextExec() // never answered
		h.clock.Step(4 * time.Second)
		if n := h.clock.Waiters(); n != 2 {
			t.Errorf("after 4s the clock has %d waiters, want 2 (ticker, timeout)", n)
		}
		h.clock.Step(time.Second)
		h.waitEvents(`failure Liveness probe failed: command timed out: "sleep 10" timed out after 5s`, "result Failure")
		h.wantStopped()
	})
	t.Run("default timeout is 1s", func(t *testing.T) {
		t.Parallel()
		h := start(t, Readiness, execContainer(corev1.Probe{}, "sleep", "10"))
		h.nextExec()
		h.clock.Step(time.Second)
		h.waitEvents(`failure Readiness probe failed: command timed out: "sleep 10" timed out after 1s`)
		h.stop()
	})
}

func refused(host string, port int) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP(host), Port: port},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func TestTCPSocket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		action   corev1.TCPSocketAction
		wantHost string
		wantPort int
		reply    *dialReply // nil: time out
		want     []string
	}{
		{
			name:     "connects to the pod IP",
			action:   corev1.TCPSocketAction{Port: intstr.FromInt32(8080)},
			wantHost: "10.244.0.5", wantPort: 8080,
			reply: &dialReply{},
			want:  []string{"result Success"},
		},
		{
			name:     "named port and host",
			action:   corev1.TCPSocketAction{Port: intstr.FromString("http"), Host: "10.0.0.9"},
			wantHost: "10.0.0.9", wantPort: 80,
			reply: &dialReply{},
			want:  []string{"result Success"},
		},
		{
			name:     "refused",
			action:   corev1.TCPSocketAction{Port: intstr.FromInt32(8080)},
			wantHost: "10.244.0.5", wantPort: 8080,
			reply: &dialReply{err: refused("10.244.0.5", 8080)},
			want:  []string{"failure Readiness probe failed: dial tcp 10.244.0.5:8080: connect: connection refused"},
		},
		{
			name:     "timeout",
			action:   corev1.TCPSocketAction{Port: intstr.FromInt32(8080)},
			wantHost: "10.244.0.5", wantPort: 8080,
			want: []string{"failure Readiness probe failed: dial tcp 10.244.0.5:8080: i/o timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &tt.action}}
			h := start(t, Readiness, &corev1.Container{Name: "web", ReadinessProbe: probe,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}})
			c := h.nextDial()
			if c.host != tt.wantHost || c.port != tt.wantPort {
				t.Errorf("dialled %s:%d, want %s:%d", c.host, c.port, tt.wantHost, tt.wantPort)
			}
			if tt.reply == nil {
				h.clock.Step(time.Second)
			} else {
				rep := *tt.reply
				if rep.err == nil {
					var peer net.Conn
					rep.conn, peer = net.Pipe()
					t.Cleanup(func() { _ = peer.Close() })
				}
				c.reply <- rep
			}
			h.waitEvents(tt.want...)
			h.stop()
		})
	}
}

// TestErrored covers probes that cannot be attempted at all: the error is
// reported after the retries and the result is left alone.
func TestErrored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler corev1.ProbeHandler
		want    string
	}{
		{
			name:    "unknown named port",
			handler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("metrics")}},
			want:    `port "metrics" not found`,
		},
		{
			name:    "invalid port",
			handler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(70000)}},
			want:    "invalid port number: 70000",
		},
		{
			name:    "grpc",
			handler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}},
			want:    "grpc probes are not supported by fakecluster's kubelet",
		},
		{
			name: "no handler",
			want: "missing probe handler",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe := &corev1.Probe{ProbeHandler: tt.handler, FailureThreshold: 1}
			h := start(t, Readiness, &corev1.Container{Name: "web", ReadinessProbe: probe})
			h.waitEvents("failure Readiness probe errored and resulted in unknown state: " + tt.want)
			h.step(10 * time.Second)
			h.waitEvents("failure Readiness probe errored and resulted in unknown state: " + tt.want)
			if got := h.p.Result(); got != Failure {
				t.Errorf("Result() = %s, want the initial Failure", got)
			}
			h.stop()
		})
	}
}

// netRunner dials for real, for an httpGet against a server on loopback.
type netRunner struct{}

var _ Runner = netRunner{}

func (netRunner) Exec(context.Context, []string) ([]byte, int, error) {
	return nil, 0, errors.New("no exec here")
}

func (netRunner) Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
}

// seen is what the server saw of a probe's request.
type seen struct {
	Path, Host, UserAgent string
	Accept, Custom        []string
}

func TestHTTPGet(t *testing.T) {
	t.Parallel()
	requests := make(chan seen, 10)
	arrived := make(chan struct{}, 10)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		requests <- seen{Path: r.URL.RequestURI(), Host: r.Host, UserAgent: r.UserAgent(),
			Accept: r.Header.Values("Accept"), Custom: r.Header.Values("X-Custom")}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "body not shown")
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/healthz", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		// localhost is another host name than the 127.0.0.1 asked.
		w.Header().Set("Location", "http://localhost:1/elsewhere")
		w.WriteHeader(http.StatusFound)
		_, _ = io.WriteString(w, "see elsewhere")
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewTLSServer(mux)
	t.Cleanup(tlsSrv.Close)

	port := func(s *httptest.Server) int {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(u.Port())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	p, tlsPort := port(srv), port(tlsSrv)
	// A port nothing listens on: taken, then let go.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	defaults := seen{Path: "/healthz", Host: fmt.Sprintf("127.0.0.1:%d", p), UserAgent: "kube-probe/1.37", Accept: []string{"*/*"}}
	tests := []struct {
		name     string
		action   corev1.HTTPGetAction
		slow     bool
		want     []string
		wantSeen *seen
	}{
		{
			name:     "200",
			action:   corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(p)},
			want:     []string{"result Success"},
			wantSeen: &defaults,
		},
		{
			name: "named port, query, headers and Host",
			action: corev1.HTTPGetAction{Path: "/healthz?verbose=1", Port: intstr.FromString("http"),
				HTTPHeaders: []corev1.HTTPHeader{
					{Name: "X-Custom", Value: "a"}, {Name: "X-Custom", Value: "b"},
					{Name: "Host", Value: "web.example"}, {Name: "User-Agent", Value: "mine"}, {Name: "Accept", Value: ""},
				}},
			want:     []string{"result Success"},
			wantSeen: &seen{Path: "/healthz?verbose=1", Host: "web.example", UserAgent: "mine", Custom: []string{"a", "b"}},
		},
		{
			name:   "500",
			action: corev1.HTTPGetAction{Path: "/status/500", Port: intstr.FromInt(p)},
			want:   []string{"failure Readiness probe failed: HTTP probe failed with statuscode: 500"},
		},
		{
			name:   "503",
			action: corev1.HTTPGetAction{Path: "/status/503", Port: intstr.FromInt(p)},
			want:   []string{"failure Readiness probe failed: HTTP probe failed with statuscode: 503"},
		},
		{
			name:   "204",
			action: corev1.HTTPGetAction{Path: "/status/204", Port: intstr.FromInt(p)},
			want:   []string{"result Success"},
		},
		{
			name:     "redirect on the same host followed",
			action:   corev1.HTTPGetAction{Path: "/moved", Port: intstr.FromInt(p)},
			want:     []string{"result Success"},
			wantSeen: &defaults,
		},
		{
			name:   "redirect to another host is a warning",
			action: corev1.HTTPGetAction{Path: "/away", Port: intstr.FromInt(p)},
			want: []string{
				"warning Readiness probe warning: Probe terminated redirects, Response body: see elsewhere",
				"result Success",
			},
		},
		{
			name:   "too many redirects",
			action: corev1.HTTPGetAction{Path: "/loop", Port: intstr.FromInt(p)},
			want:   []string{`failure Readiness probe failed: Get "/loop": stopped after 10 redirects`},
		},
		{
			name:   "connection refused",
			action: corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(closed)},
			want: []string{fmt.Sprintf(`failure Readiness probe failed: Get "http://127.0.0.1:%d/healthz": `+
				`dial tcp 127.0.0.1:%d: connect: connection refused`, closed, closed)},
		},
		{
			name:   "timeout",
			action: corev1.HTTPGetAction{Path: "/slow", Port: intstr.FromInt(p)},
			slow:   true,
			want: []string{fmt.Sprintf(`failure Readiness probe failed: Get "http://127.0.0.1:%d/slow": `+
				`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, p)},
		},
		{
			name:   "HTTPS without verifying the certificate",
			action: corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt(tlsPort), Scheme: corev1.URISchemeHTTPS},
			want:   []string{"result Success"},
			wantSeen: &seen{Path: "/healthz", Host: fmt.Sprintf("127.0.0.1:%d", tlsPort),
				UserAgent: "kube-probe/1.37", Accept: []string{"*/*"}},
		},
	}
	// Not parallel: the rows share the server's channels.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &tt.action}}
			c := &corev1.Container{Name: "web", ReadinessProbe: probe,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(p)}}}
			h := start(t, Readiness, c, func(c *Config) { c.Runner, c.PodIP = netRunner{}, "127.0.0.1" })
			if tt.slow {
				<-arrived
				h.clock.Step(time.Second)
			}
			h.waitEvents(tt.want...)
			h.stop()
			if tt.wantSeen != nil {
				if diff := cmp.Diff(*tt.wantSeen, <-requests); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
			}
			if len(requests) > 0 {
				t.Errorf("server saw %d more requests", len(requests))
				for len(requests) > 0 {
					<-requests
				}
			}
		})
	}
}
