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
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/images"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// forward sends raw bytes through a port-forward stream and returns all that comes back.
func forward(t *testing.T, sb *Sandbox, port int32, request string) (string, error) {
	t.Helper()
	client, stream := net.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- sb.PortForward(context.Background(), port, stream) }()
	go func() {
		_, _ = io.WriteString(client, request)
	}()
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(client)
	client.Close()
	return string(b), <-errc
}

var dateHeader = regexp.MustCompile(`(?m)^Date: .*\r$`)

func waitPort(t *testing.T, sb *Sandbox, port int) {
	t.Helper()
	eventually(t, fmt.Sprintf("port %d", port), func() bool {
		for _, p := range sb.ListeningPorts() {
			if p == port {
				return true
			}
		}
		return false
	})
}

func TestPortForward(t *testing.T) {
	t.Parallel()
	t.Run("nginx welcome page", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		_, log := p.start("nginx")
		waitPort(t, p.sb, 80)
		got, err := forward(t, p.sb, 80, "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nConnection: close\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		want := "HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\nDate: <date>\r\nContent-Type: text/html\r\nContent-Length: 615\r\n" +
			"Last-Modified: Wed, 16 Apr 2025 00:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"67fef300-267\"\r\nAccept-Ranges: bytes\r\n\r\n" + images.NginxIndex
		if diff := cmp.Diff(want, dateHeader.ReplaceAllString(got, "Date: <date>\r")); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
		if !strings.Contains(log.String(), `127.0.0.1 - - [`) || !strings.Contains(log.String(), `"GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"`) {
			t.Errorf("no access log line:\n%s", log.String())
		}
	})
	t.Run("nginx 404", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		p.start("nginx")
		waitPort(t, p.sb, 80)
		got, _ := forward(t, p.sb, 80, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 404 Not Found\r\n") || !strings.HasSuffix(got, "<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("page edited in the container is served", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c, _ := p.start("nginx")
		waitPort(t, p.sb, 80)
		run(t, c, "", "sh", "-c", "echo edited > /usr/share/nginx/html/index.html")
		got, _ := forward(t, p.sb, 80, "GET / HTTP/1.0\r\n\r\n")
		if !strings.HasSuffix(got, "\r\n\r\nedited\n") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("nginx configured through a mounted conf.d", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		conf := filepath.Join(p.dir, "volumes", "conf")
		if err := os.MkdirAll(conf, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(conf, "default.conf"), "server {\n    listen 8080;\n    location / {\n        root /data;\n    }\n}\n")
		write(t, filepath.Join(p.dir, "volumes", "data", "index.html"), "from the volume\n")
		p.mounts = append(p.mounts, Mount{ContainerPath: "/etc/nginx/conf.d", HostPath: conf, ReadOnly: true})
		_, log := p.start("nginx")
		waitPort(t, p.sb, 8080)
		got, _ := forward(t, p.sb, 8080, "GET / HTTP/1.0\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\nfrom the volume\n") {
			t.Errorf("got %q", got)
		}
		if !strings.Contains(log.String(), "10-listen-on-ipv6-by-default.sh: info: /etc/nginx/conf.d/default.conf differs from the packaged version") {
			t.Errorf("entrypoint log:\n%s", log.String())
		}
	})
	t.Run("httpd", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		p.start("httpd:2.4")
		waitPort(t, p.sb, 80)
		got, _ := forward(t, p.sb, 80, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.Contains(got, "Server: Apache/2.4.63 (Unix)\r\n") || !strings.HasSuffix(got, "<html><body><h1>It works!</h1></body></html>\n") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		p.start("redis")
		waitPort(t, p.sb, 6379)
		got, _ := forward(t, p.sb, 6379, "PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nQUIT\r\n")
		if got != "+PONG\r\n+OK\r\n$1\r\nv\r\n+OK\r\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		p.idle("busybox")
		_, err := forward(t, p.sb, 8080, "")
		want := fmt.Sprintf("failed to connect to localhost:8080 inside namespace %q, IPv4: dial tcp4 127.0.0.1:8080: connect: connection refused IPv6 dial tcp6 [::1]:8080: connect: connection refused ", p.sb.ID())
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant %s", err, want)
		}
	})
}

func TestPodNetwork(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	p.start("nginx")
	waitPort(t, p.sb, 80)
	sidecar := p.idle("busybox")
	curl := p.idle("curlimages/curl:8.11.1")
	tests := []struct {
		name     string
		c        *Container
		argv     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "wget localhost", c: sidecar, argv: []string{"sh", "-c", "wget -qO- http://localhost/ | grep title"}, wantOut: "<title>Welcome to nginx!</title>\n"},
		{name: "wget by pod IP", c: sidecar, argv: []string{"sh", "-c", "wget -qO- 10.244.1.4 | grep -c nginx"}, wantOut: "6\n"},
		{name: "wget refused", c: sidecar, argv: []string{"wget", "-q", "http://localhost:81/"}, wantErr: "wget: can't connect to remote host (127.0.0.1): Connection refused\n", wantCode: 1},
		{name: "curl by IPv6 pod IP", c: curl, argv: []string{"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://[a00:100::4]/"}, wantOut: "200"},
		{name: "curl refused", c: curl, argv: []string{"curl", "-sS", "http://localhost:9/"}, wantErr: "curl: (7) Failed to connect to localhost port 9 after 0 ms: Could not connect to server\n", wantCode: 7},
		{name: "curl unknown host", c: curl, argv: []string{"curl", "-sS", "http://nope.example/"}, wantErr: "curl: (6) Could not resolve host: nope.example\n", wantCode: 6},
		{name: "curl unreachable address", c: curl, argv: []string{"curl", "-sS", "http://10.244.2.9/"}, wantErr: "curl: (7) Failed to connect to 10.244.2.9 port 80 after 0 ms: Could not connect to server\n", wantCode: 7},
		{name: "curl head", c: curl, argv: []string{"curl", "-sI", "localhost"}, wantOut: "HTTP/1.1 200 OK\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.c, "", tt.argv...)
			if r.err != nil {
				t.Fatal(r.err)
			}
			out := r.stdout
			if tt.name == "curl head" {
				out, _, _ = strings.Cut(out, "\n")
				out += "\n"
			}
			stderr := regexp.MustCompile(`after \d+ ms`).ReplaceAllString(r.stderr, "after 0 ms")
			if r.code != tt.wantCode || out != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got %d %q %q\nwant %d %q %q", r.code, out, r.stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
	t.Run("probe connect from the node", func(t *testing.T) {
		conn, err := p.sb.Connect(context.Background(), netip.MustParseAddr("172.18.0.2"), 80)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET / HTTP/1.1\r\nHost: 10.244.1.4\r\nUser-Agent: kube-probe/1.37\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("probe: %v %v", resp, err)
		}
		if _, err := p.sb.Connect(context.Background(), netip.Addr{}, 81); !errorsIsErrno(err, syscall.ECONNREFUSED) {
			t.Errorf("connect to a closed port: %v", err)
		}
	})
}

func errorsIsErrno(err error, want syscall.Errno) bool { return proc.Errno(err) == want }

type fakeDNS struct{ asked []string }

func (f *fakeDNS) Exchange(_ context.Context, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	qn := q.Question[0]
	name := strings.TrimSuffix(qn.Name, ".")
	f.asked = append(f.asked, fmt.Sprintf("%s %s %d", server, name, qn.Qtype))
	r := new(dns.Msg)
	r.SetReply(q)
	if name == "kubernetes.default.svc.cluster.local" {
		if qn.Qtype == dns.TypeA {
			r.Answer = append(r.Answer, &dns.A{Hdr: dns.RR_Header{Name: qn.Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(10, 96, 0, 1)})
		}
		return r, nil
	}
	r.Rcode = dns.RcodeNameError
	return r, nil
}

type refuseAll struct{ to []netip.AddrPort }

func (r *refuseAll) Dial(_ context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error) {
	r.to = append(r.to, to)
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

func TestResolverAndDialerHooks(t *testing.T) {
	t.Parallel()
	dns, dialer := &fakeDNS{}, &refuseAll{}
	p := newPod(t, Options{Resolver: dns, Dialer: dialer})
	bb := p.idle("busybox")
	r := run(t, bb, "", "nslookup", "kubernetes.default")
	want := "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find kubernetes.default: NXDOMAIN\n\n** server can't find kubernetes.default: NXDOMAIN\n\n"
	if r.stdout != want || r.code != 1 {
		t.Errorf("nslookup kubernetes.default: %d %q", r.code, r.stdout)
	}
	r = run(t, bb, "", "nslookup", "kubernetes.default.svc.cluster.local")
	want = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n\n"
	if r.stdout != want || r.code != 0 {
		t.Errorf("nslookup FQDN: %d %q", r.code, r.stdout)
	}
	deb := p.idle("debian")
	// getent: hosts file first, then DNS with the search list (ndots:5)
	r = run(t, deb, "", "getent", "hosts", "kubernetes.default")
	if r.stdout != "10.96.0.1       kubernetes.default.svc.cluster.local\n" {
		t.Errorf("getent: %+v", r)
	}
	if len(dns.asked) == 0 || !strings.HasPrefix(dns.asked[0], "10.96.0.10:53 ") {
		t.Errorf("queries went to %v", dns.asked)
	}
	r = run(t, bb, "", "wget", "-q", "http://10.0.0.7:8080/")
	if r.stderr != "wget: can't connect to remote host (10.0.0.7): Connection refused\n" || len(dialer.to) != 1 || dialer.to[0].String() != "10.0.0.7:8080" {
		t.Errorf("dialer: %+v %v", r, dialer.to)
	}
}
