package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	//lint:ignore SA1019 client-go v0.37's spdy and portforward still take this package's Dialer.
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/client-go/util/exec"
)

// streamsNode is a node running pod web (nginx runs, done has exited; tty has a TTY).
func streamsNode(t *testing.T) *testServer {
	t.Helper()
	p := newFakeProvider()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "uid-web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "nginx"}, {Name: "done"}, {Name: "tty", TTY: true, Stdin: true},
		}},
	}
	p.addPod(pod)
	p.setRunning(pod, "nginx", "containerd://n1")
	p.setRunning(pod, "tty", "containerd://t1")
	idle := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "idle", Namespace: "default", UID: "uid-idle"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
	}
	p.addPod(idle)
	return startServer(t, Config{}, map[string]*fakeProvider{"worker0": p})
}

// protocols are the two ways client-go (and so kubectl) runs a remote command.
var protocols = []struct {
	name string
	new  func(cfg *rest.Config, u *url.URL) (remotecommand.Executor, error)
}{
	{"spdy", func(cfg *rest.Config, u *url.URL) (remotecommand.Executor, error) {
		return remotecommand.NewSPDYExecutor(cfg, "POST", u)
	}},
	{"websocket-v5", func(cfg *rest.Config, u *url.URL) (remotecommand.Executor, error) {
		return remotecommand.NewWebSocketExecutor(cfg, "GET", u.String())
	}},
}

func streamURL(ts *testServer, path string, q url.Values) *url.URL {
	return &url.URL{Scheme: "https", Host: ts.addr, Path: path, RawQuery: q.Encode()}
}

// sizes is a terminal that is resized once and then not until done.
type sizes struct {
	sent bool
	done <-chan struct{}
}

func (s *sizes) Next() *remotecommand.TerminalSize {
	if s.sent {
		<-s.done
		return nil
	}
	s.sent = true
	return &remotecommand.TerminalSize{Width: 80, Height: 24}
}

func TestExec(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	tests := []struct {
		name       string
		cmd        []string
		stdin      string
		tty        bool
		container  string
		wantStdout string
		wantStderr string
		wantCode   int    // exit code, with wantErr "command terminated with exit code N"
		wantErr    string // what kubectl prints after "error: "
	}{
		{name: "echo", cmd: []string{"echo", "hello", "world"}, wantStdout: "hello world\n"},
		{name: "exit code", cmd: []string{"exit", "3"}, wantCode: 3, wantErr: "command terminated with exit code 3"},
		{name: "stderr and an exit code", cmd: []string{"warn"}, wantStdout: "to stdout\n", wantStderr: "to stderr\n",
			wantCode: 2, wantErr: "command terminated with exit code 2"},
		{name: "stdin to its end", cmd: []string{"cat"}, stdin: "line one\nline two\n", wantStdout: "line one\nline two\n"},
		{name: "a TTY and its size", cmd: []string{"tty"}, tty: true, container: "tty", wantStdout: "tty=true 80x24\r\n"},
		{name: "a missing binary", cmd: []string{"nosuch"},
			wantErr: "Internal error occurred: error executing command in container: " + missingBinary},
	}
	for _, proto := range protocols {
		for _, tt := range tests {
			t.Run(proto.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				container := tt.container
				if container == "" {
					container = "nginx"
				}
				q := url.Values{"command": tt.cmd, "output": {"1"}}
				if !tt.tty {
					q.Set("error", "1")
				} else {
					q.Set("tty", "1")
				}
				if tt.stdin != "" {
					q.Set("input", "1")
				}
				ex, err := proto.new(ts.restConfig(t, "worker0", APIServerClientCN), streamURL(ts, "/exec/default/web/"+container, q))
				if err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				opts := remotecommand.StreamOptions{Stdout: &stdout, Tty: tt.tty}
				if !tt.tty {
					opts.Stderr = &stderr
				} else {
					opts.TerminalSizeQueue = &sizes{done: t.Context().Done()}
				}
				if tt.stdin != "" {
					opts.Stdin = strings.NewReader(tt.stdin)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err = ex.StreamWithContext(ctx, opts)
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("exec: %v", err)
				case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
					t.Fatalf("exec error %v, want %q", err, tt.wantErr)
				}
				var exit exec.CodeExitError
				if errors.As(err, &exit) != (tt.wantCode != 0) || tt.wantCode != 0 && exit.Code != tt.wantCode {
					t.Errorf("exit error %#v, want code %d", err, tt.wantCode)
				}
				if stdout.String() != tt.wantStdout || stderr.String() != tt.wantStderr {
					t.Errorf("stdout %q stderr %q, want %q %q", stdout.String(), stderr.String(), tt.wantStdout, tt.wantStderr)
				}
			})
		}
	}
}

func TestExecRefusals(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	tests := []struct {
		name    string
		path    string
		query   url.Values
		cn      string
		wantErr string
	}{
		{name: "a container that is not running", path: "/exec/default/web/done",
			wantErr: `unable to upgrade connection: container not found ("done")`},
		{name: "an unknown container", path: "/exec/default/web/nope",
			wantErr: `unable to upgrade connection: container not found ("nope")`},
		{name: "another pod UID", path: "/exec/default/web/other-uid/nginx",
			wantErr: `unable to upgrade connection: container not found ("nginx")`},
		{name: "an unknown pod", path: "/exec/default/nope/nginx", wantErr: "unable to upgrade connection: pod does not exist"},
		{name: "no stream", path: "/exec/default/web/nginx", query: url.Values{"command": {"ls"}},
			wantErr: "unable to upgrade connection: you must specify at least 1 of stdin, stdout, stderr"},
		{name: "another user", path: "/exec/default/web/nginx", cn: "kubernetes-admin",
			wantErr: "unable to upgrade connection: Forbidden (user=kubernetes-admin, verb=create, resource=nodes, subresource(s)=[proxy])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := tt.query
			if q == nil {
				q = url.Values{"command": {"echo"}, "output": {"1"}}
			}
			cn := tt.cn
			if cn == "" {
				cn = APIServerClientCN
			}
			ex, err := remotecommand.NewSPDYExecutor(ts.restConfig(t, "worker0", cn), "POST", streamURL(ts, tt.path, q))
			if err != nil {
				t.Fatal(err)
			}
			err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("exec error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestAttach(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	tests := []struct {
		name, container string
		clientTTY       bool // what the client asks for
		want            string
	}{
		{name: "no terminal", container: "nginx", want: "attached to nginx tty=false\nHELLO\nTHERE\n"},
		{name: "the container's terminal", container: "tty", clientTTY: true, want: "attached to tty tty=true\nHELLO\nTHERE\n"},
		// kubectl attach without -t to a container with a terminal: the process keeps it,
		// the client's streams stay as asked (no resize stream to wait for).
		{name: "a terminal the client does not use", container: "tty", want: "attached to tty tty=true\nHELLO\nTHERE\n"},
		{name: "a terminal the container lacks", container: "nginx", clientTTY: true, want: "attached to nginx tty=false\nHELLO\nTHERE\n"},
	}
	for _, proto := range protocols {
		for _, tt := range tests {
			t.Run(proto.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				q := url.Values{"input": {"1"}, "output": {"1"}}
				if tt.clientTTY {
					q.Set("tty", "1")
				} else {
					q.Set("error", "1")
				}
				ex, err := proto.new(ts.restConfig(t, "worker0", APIServerClientCN), streamURL(ts, "/attach/default/web/"+tt.container, q))
				if err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				opts := remotecommand.StreamOptions{Stdin: strings.NewReader("hello\nthere\n"), Stdout: &stdout, Tty: tt.clientTTY}
				if tt.clientTTY {
					opts.TerminalSizeQueue = &sizes{done: t.Context().Done()}
				} else {
					opts.Stderr = &stderr
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := ex.StreamWithContext(ctx, opts); err != nil {
					t.Fatal(err)
				}
				if stdout.String() != tt.want || stderr.Len() != 0 {
					t.Errorf("stdout %q stderr %q, want %q", stdout.String(), stderr.String(), tt.want)
				}
			})
		}
	}
}

func TestAttachRefusesAStoppedContainer(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	ex, err := remotecommand.NewSPDYExecutor(ts.restConfig(t, "worker0", APIServerClientCN), "POST",
		streamURL(ts, "/attach/default/web/done", url.Values{"output": {"1"}}))
	if err != nil {
		t.Fatal(err)
	}
	err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
	if want := `unable to upgrade connection: container not found ("done")`; err == nil || err.Error() != want {
		t.Errorf("attach error %v, want %q", err, want)
	}
}

// dialers are the two ways client-go (and so kubectl) opens a port-forward.
var dialers = []struct {
	name string
	verb string // what the upgrade request's method is authorized as
	new  func(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer
}{
	{"spdy", "create", func(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer {
		transport, upgrader, err := spdy.RoundTripperFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", u)
	}},
	{"spdy-over-websocket", "get", func(t *testing.T, cfg *rest.Config, u *url.URL) httpstream.Dialer {
		d, err := portforward.NewSPDYOverWebsocketDialer(u, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
}

func TestPortForward(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	for _, d := range dialers {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			dialer := d.new(t, ts.restConfig(t, "worker0", APIServerClientCN), streamURL(ts, "/portForward/default/web", nil))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ready := make(chan struct{})
			var errOut bytes.Buffer
			fw, err := portforward.NewOnAddressesWithContext(ctx, dialer, []string{"127.0.0.1"}, []string{"0:80", "0:8080"}, ready, io.Discard, &errOut)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- fw.ForwardPorts() }()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("port-forward ended before it was ready: %v (%s)", err, errOut.String())
			case <-time.After(30 * time.Second):
				t.Fatal("port-forward not ready")
			}
			ports, err := fw.GetPorts()
			if err != nil {
				t.Fatal(err)
			}
			for _, port := range ports {
				for i := range 2 { // two connections through one forward
					conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port.Local))
					if err != nil {
						t.Fatal(err)
					}
					if _, err := fmt.Fprintf(conn, "ping %d\n", i); err != nil {
						t.Fatal(err)
					}
					line, err := bufio.NewReader(conn).ReadString('\n')
					conn.Close()
					if want := fmt.Sprintf("port %d: ping %d\n", port.Remote, i); err != nil || line != want {
						t.Errorf("through port %d: %q, %v; want %q", port.Remote, line, err, want)
					}
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ForwardPorts = %v", err)
			}
		})
	}
}

func TestPortForwardRefusals(t *testing.T) {
	t.Parallel()
	ts := streamsNode(t)
	tests := []struct {
		name, path, cn, want string
	}{
		{name: "a pod with nothing running", path: "/portForward/default/idle", want: `pod not found ("idle_default")`},
		{name: "an unknown pod", path: "/portForward/default/nope", want: "pod does not exist"},
		{name: "another pod UID", path: "/portForward/default/web/other", want: "pod not found"},
		{name: "another user", path: "/portForward/default/web", cn: "someone",
			want: "Forbidden (user=someone, verb=VERB, resource=nodes, subresource(s)=[proxy])"},
	}
	for _, d := range dialers {
		for _, tt := range tests {
			t.Run(d.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				cn := tt.cn
				if cn == "" {
					cn = APIServerClientCN
				}
				dialer := d.new(t, ts.restConfig(t, "worker0", cn), streamURL(ts, tt.path, nil))
				conn, _, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
				if err == nil {
					conn.Close()
					t.Fatal("dial succeeded")
				}
				if want := strings.ReplaceAll(tt.want, "VERB", d.verb); !strings.Contains(err.Error(), want) {
					t.Errorf("dial error %q, want it to say %q", err, want)
				}
			})
		}
	}
}
