package commands

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeNet is a small cluster network as the pod at 10.244.0.5 / fd00::5 sees it: CoreDNS at
// 10.96.0.10 and fd00:10:96::a (authoritative, recursion not available, EDNS echoed with the
// client cookie), an nginx-like Service my-svc at 10.96.0.12 / fd00:10:96::c port 80, a
// redis at 10.96.0.20:6379, a pod 10.244.0.7 / fd00::7 that answers pings, a blackholed
// 10.96.0.99 (connections and pings time out when the caller's deadline passes) and a
// 10.244.9.9 whose pings come back host-unreachable. Listen serves ports on the pod itself.
type fakeNet struct {
	mu        sync.Mutex
	listeners map[int]func(net.Conn)
	queries   []string
}

var _ proc.Sys = (*fakeSys)(nil)

var (
	dnsV4 = netip.MustParseAddrPort("10.96.0.10:53")
	dnsV6 = netip.MustParseAddrPort("[fd00:10:96::a]:53")
)

// newNetSys is a container of userland u on fakeNet, with the resolv.conf the kubelet
// writes for a pod in the default namespace.
func newNetSys(t testing.TB, u proc.Userland) *fakeSys {
	t.Helper()
	sys := newSysFiles(t, u, map[string]string{
		"/etc/resolv.conf": "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
	})
	sys.net = &fakeNet{listeners: map[int]func(net.Conn){}}
	t.Cleanup(func() {
		sys.net.mu.Lock()
		defer sys.net.mu.Unlock()
		if len(sys.net.listeners) != 0 {
			t.Errorf("listeners left open: %v", sys.net.listeners)
		}
	})
	return sys
}

func (n *fakeNet) listen(port int, serve func(net.Conn)) (io.Closer, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.listeners[port]; ok {
		return nil, syscall.EADDRINUSE
	}
	n.listeners[port] = serve
	return closerFunc(func() error {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.listeners, port)
		return nil
	}), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func (n *fakeNet) dial(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
	a := to.Addr().Unmap()
	self := a.IsLoopback() || a == netip.MustParseAddr("10.244.0.5") || a == netip.MustParseAddr("fd00::5")
	var serve func(net.Conn)
	halfClose := false
	switch {
	case self:
		n.mu.Lock()
		serve = n.listeners[int(to.Port())]
		n.mu.Unlock()
		halfClose = true
	case (a == netip.MustParseAddr("10.96.0.12") || a == netip.MustParseAddr("fd00:10:96::c")) && to.Port() == 80:
		serve = serveHTTP
	case a == netip.MustParseAddr("10.96.0.20") && to.Port() == 6379:
		serve, halfClose = serveRedis, true
	case a == netip.MustParseAddr("10.96.0.99"):
		<-ctx.Done()
		return nil, opErr(to, syscall.ETIMEDOUT)
	}
	if serve == nil {
		return nil, opErr(to, syscall.ECONNREFUSED)
	}
	local := netip.AddrPortFrom(netip.MustParseAddr("10.244.0.5"), 40001)
	if a.Is6() {
		local = netip.AddrPortFrom(netip.MustParseAddr("fd00::5"), 40001)
	}
	if a.IsLoopback() {
		local = netip.AddrPortFrom(a, 40001)
	}
	var client, server net.Conn
	if halfClose {
		client, server = halfPipe(local, to)
	} else {
		c, s := net.Pipe()
		client = addrConn{c, local, to}
		server = addrConn{s, to, local}
	}
	go serve(server)
	return client, nil
}

func opErr(to netip.AddrPort, errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(to), Err: os.NewSyscallError("connect", errno)}
}

func (n *fakeNet) exchange(ctx context.Context, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	if server != dnsV4 && server != dnsV6 {
		<-ctx.Done()
		return nil, opErr(server, syscall.ETIMEDOUT)
	}
	n.mu.Lock()
	n.queries = append(n.queries, q.Question[0].Name+" "+dns.TypeToString[q.Question[0].Qtype])
	n.mu.Unlock()
	r := new(dns.Msg)
	r.SetReply(q)
	r.Authoritative = true
	qn := q.Question[0]
	hdr := func(name string, t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 30}
	}
	switch name := strings.ToLower(qn.Name); {
	case name == "my-svc.default.svc.cluster.local." && qn.Qtype == dns.TypeA:
		r.Answer = append(r.Answer, &dns.A{Hdr: hdr(qn.Name, dns.TypeA), A: net.ParseIP("10.96.0.12")})
	case name == "my-svc.default.svc.cluster.local." && qn.Qtype == dns.TypeAAAA:
		r.Answer = append(r.Answer, &dns.AAAA{Hdr: hdr(qn.Name, dns.TypeAAAA), AAAA: net.ParseIP("fd00:10:96::c")})
	case name == "redis.default.svc.cluster.local." && qn.Qtype == dns.TypeA:
		r.Answer = append(r.Answer, &dns.A{Hdr: hdr(qn.Name, dns.TypeA), A: net.ParseIP("10.96.0.20")})
	case name == "web-1.nginx.default.svc.cluster.local." && qn.Qtype == dns.TypeA:
		r.Answer = append(r.Answer, &dns.A{Hdr: hdr(qn.Name, dns.TypeA), A: net.ParseIP("10.244.0.7")})
	case name == "ext.default.svc.cluster.local." && qn.Qtype == dns.TypeA:
		h := hdr(qn.Name, dns.TypeCNAME)
		h.Ttl = 5
		r.Answer = append(r.Answer, &dns.CNAME{Hdr: h, Target: "my-svc.default.svc.cluster.local."},
			&dns.A{Hdr: hdr("my-svc.default.svc.cluster.local.", dns.TypeA), A: net.ParseIP("10.96.0.12")})
	case name == "_http._tcp.my-svc.default.svc.cluster.local." && qn.Qtype == dns.TypeSRV:
		r.Answer = append(r.Answer, &dns.SRV{Hdr: hdr(qn.Name, dns.TypeSRV), Priority: 0, Weight: 100, Port: 80, Target: "my-svc.default.svc.cluster.local."})
	case name == "12.0.96.10.in-addr.arpa." && qn.Qtype == dns.TypePTR:
		r.Answer = append(r.Answer, &dns.PTR{Hdr: hdr(qn.Name, dns.TypePTR), Ptr: "my-svc.default.svc.cluster.local."})
	case name == "7.0.244.10.in-addr.arpa." && qn.Qtype == dns.TypePTR:
		r.Answer = append(r.Answer, &dns.PTR{Hdr: hdr(qn.Name, dns.TypePTR), Ptr: "web-1.nginx.default.svc.cluster.local."})
	case strings.HasPrefix(name, "my-svc.default.svc.cluster.local."), strings.HasPrefix(name, "redis.default.svc.cluster.local."):
		// NODATA
	default:
		r.Rcode = dns.RcodeNameError
		r.Ns = append(r.Ns, &dns.SOA{Hdr: hdr("cluster.local.", dns.TypeSOA), Ns: "ns.dns.cluster.local.",
			Mbox: "hostmaster.cluster.local.", Serial: 1735787045, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: 30})
	}
	if o := q.IsEdns0(); o != nil {
		// CoreDNS answers EDNS with EDNS, its buffer size and the client's cookie echoed
		echo := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		echo.SetUDPSize(1232)
		for _, opt := range o.Option {
			if c, ok := opt.(*dns.EDNS0_COOKIE); ok {
				echo.Option = append(echo.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: c.Cookie})
			}
		}
		r.Extra = append(r.Extra, echo)
	}
	return r, nil
}

func (n *fakeNet) ping(ctx context.Context, to netip.Addr) error {
	switch to {
	case netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback(), netip.MustParseAddr("10.244.0.5"), netip.MustParseAddr("fd00::5"),
		netip.MustParseAddr("10.244.0.7"), netip.MustParseAddr("fd00::7"):
		return nil
	case netip.MustParseAddr("10.244.9.9"):
		return syscall.EHOSTUNREACH
	case netip.MustParseAddr("10.96.0.99"):
		<-ctx.Done()
	}
	return syscall.ETIMEDOUT
}

// serveHTTP is an nginx-like HTTP/1.1 server with keep-alive: / is a page, /redirect a 301
// to /, anything else 404.
func serveHTTP(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		status, body, extra := "200 OK", "<h1>my-svc</h1>\n", ""
		switch req.URL.Path {
		case "/":
		case "/redirect":
			status, body, extra = "301 Moved Permanently", "", "Location: http://my-svc/\r\n"
		default:
			status, body = "404 Not Found", "<h1>404 Not Found</h1>\n"
		}
		if req.Method == http.MethodHead {
			fmt.Fprintf(c, "HTTP/1.1 %s\r\nServer: nginx/1.27.3\r\nDate: Thu, 02 Jan 2025 03:04:05 GMT\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: keep-alive\r\n%s\r\n", status, len(body), extra)
			continue
		}
		fmt.Fprintf(c, "HTTP/1.1 %s\r\nServer: nginx/1.27.3\r\nDate: Thu, 02 Jan 2025 03:04:05 GMT\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: keep-alive\r\n%s\r\n%s", status, len(body), extra, body)
		if req.Close || req.ProtoMinor == 0 {
			return
		}
	}
}

// serveRedis answers each inline PING with +PONG until its client half-closes.
func serveRedis(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if strings.EqualFold(strings.TrimSpace(sc.Text()), "PING") {
			io.WriteString(c, "+PONG\r\n")
		}
	}
}

// addrConn is a pipe end with socket addresses.
type addrConn struct {
	net.Conn
	local, remote netip.AddrPort
}

func (c addrConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(c.local) }
func (c addrConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// halfPipe is an in-memory connection whose ends can shut down their sending side, as TCP's
// shutdown(SHUT_WR).
func halfPipe(local, remote netip.AddrPort) (net.Conn, net.Conn) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &halfConn{r: ar, w: aw, local: local, remote: remote}, &halfConn{r: br, w: bw, local: remote, remote: local}
}

type halfConn struct {
	r             *io.PipeReader
	w             *io.PipeWriter
	local, remote netip.AddrPort
}

func (c *halfConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *halfConn) Write(b []byte) (int, error)      { return c.w.Write(b) }
func (c *halfConn) CloseWrite() error                { return c.w.Close() }
func (c *halfConn) Close() error                     { c.w.Close(); return c.r.Close() }
func (c *halfConn) LocalAddr() net.Addr              { return net.TCPAddrFromAddrPort(c.local) }
func (c *halfConn) RemoteAddr() net.Addr             { return net.TCPAddrFromAddrPort(c.remote) }
func (c *halfConn) SetDeadline(time.Time) error      { return nil }
func (c *halfConn) SetReadDeadline(time.Time) error  { return nil }
func (c *halfConn) SetWriteDeadline(time.Time) error { return nil }

var _ closeWriter = (*halfConn)(nil)

// runOn runs argv on sys and returns its output and status.
func runOn(t testing.TB, sys *fakeSys, stdin string, argv ...string) (string, string, int) {
	t.Helper()
	fn := sys.table[argv[0]]
	if fn == nil {
		t.Fatalf("no program %q", argv[0])
	}
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := &proc.Proc{Ctx: ctx, Args: argv, Env: []string{"PATH=/bin"}, Dir: "/", Stdin: strings.NewReader(stdin), Stdout: &syncBuffer{b: &o}, Stderr: &syncBuffer{b: &e}, Sys: sys}
	code := fn(p)
	return o.String(), e.String(), code
}

// syncBuffer is a bytes.Buffer that the tools' goroutines may write to together.
type syncBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// normalize replaces what changes from run to run (message ids, cookies, clocks, elapsed
// milliseconds) with fixed values.
func normalize(s string) string {
	for _, r := range []struct{ re, with string }{
		{`id: \d+`, "id: 4242"},
		{`COOKIE: [0-9a-f]+`, "COOKIE: 0123456789abcdef"},
		{`WHEN: .*`, "WHEN: Thu Jan 02 03:04:05 UTC 2025"},
		{`Query time: \d+ msec`, "Query time: 0 msec"},
		{`after \d+ ms`, "after 0 ms"},
		{`after \d+ milliseconds`, "after 0 milliseconds"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

// checkGolden compares got with testdata/<name>.golden, or rewrites it with -update.
func checkGolden(t testing.TB, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

// netCase is one run of a network tool; golden names a file holding "stdout\n--- stderr\n"
// instead of the inline wants.
type netCase struct {
	name     string
	gnu      bool
	stdin    string
	argv     []string
	wantOut  string
	wantErr  string
	wantCode int
	golden   string
}

func runNetCases(t *testing.T, tests []netCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := proc.Busybox
			if tt.gnu {
				u = proc.GNU
			}
			sys := newNetSys(t, u)
			out, errOut, code := runOn(t, sys, tt.stdin, tt.argv...)
			out, errOut = normalize(out), normalize(errOut)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, out+"--- stderr\n"+errOut)
				return
			}
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, errOut); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDig(t *testing.T) {
	t.Parallel()
	runNetCases(t, []netCase{
		{name: "A record", argv: []string{"dig", "my-svc.default.svc.cluster.local"}, golden: "dig-a"},
		{name: "AAAA from the IPv6 server", gnu: true, argv: []string{"dig", "@fd00:10:96::a", "my-svc.default.svc.cluster.local", "AAAA"}, golden: "dig-aaaa-v6-server"},
		{name: "NXDOMAIN with SOA", argv: []string{"dig", "nosuch.default.svc.cluster.local"}, golden: "dig-nxdomain"},
		{name: "CNAME chain", argv: []string{"dig", "@10.96.0.10", "ext.default.svc.cluster.local"}, golden: "dig-cname"},
		{name: "no search list by default", argv: []string{"dig", "my-svc", "+noall", "+question", "+authority"},
			wantOut: ";my-svc.\t\t\t\tIN\tA\ncluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1735787045 7200 1800 86400 30\n"},
		{name: "+search", argv: []string{"dig", "+search", "my-svc", "+short"}, wantOut: "10.96.0.12\n"},
		{name: "+search all NXDOMAIN shows the last", argv: []string{"dig", "+search", "nosuch", "+noall", "+question"}, wantOut: ";nosuch.\t\t\t\tIN\tA\n"},
		{name: "+short CNAME", argv: []string{"dig", "+short", "ext.default.svc.cluster.local"}, wantOut: "my-svc.default.svc.cluster.local.\n10.96.0.12\n"},
		{name: "+short NXDOMAIN", argv: []string{"dig", "+short", "nosuch.default.svc.cluster.local"}},
		{name: "-t SRV +noall +answer", argv: []string{"dig", "-t", "SRV", "_http._tcp.my-svc.default.svc.cluster.local", "+noall", "+answer"},
			wantOut: "_http._tcp.my-svc.default.svc.cluster.local. 30\tIN SRV 0 100 80 my-svc.default.svc.cluster.local.\n"},
		{name: "-x IPv4", argv: []string{"dig", "-x", "10.96.0.12", "+tcp"}, golden: "dig-reverse-tcp"},
		{name: "-x IPv6 +short", argv: []string{"dig", "+short", "-x", "fd00:10:96::c"}},
		{name: "-x IPv6 question", argv: []string{"dig", "-x", "fd00:10:96::c", "+noall", "+question"},
			wantOut: ";c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa. IN PTR\n"},
		{name: "no reply", argv: []string{"dig", "@10.96.0.53", "my-svc.default.svc.cluster.local", "+timeout=1"}, wantCode: 9,
			wantOut: ";; communications error to 10.96.0.53#53: timed out\n;; communications error to 10.96.0.53#53: timed out\n;; communications error to 10.96.0.53#53: timed out\n\n" +
				"; <<>> DiG 9.18.31 <<>> @10.96.0.53 my-svc.default.svc.cluster.local +timeout=1\n; (1 server found)\n;; global options: +cmd\n;; no servers could be reached\n"},
		{name: "no reply +short still shows the command", argv: []string{"dig", "-p", "5353", "+short", "+tries=1", "+timeout=1", "my-svc"}, wantCode: 9,
			wantOut: ";; communications error to 10.96.0.10#5353: timed out\n\n; <<>> DiG 9.18.31 <<>> -p 5353 +short +tries=1 +timeout=1 my-svc\n;; global options: +cmd\n;; no servers could be reached\n"},
		{name: "invalid option", argv: []string{"dig", "+bogus", "x"}, wantCode: 1,
			wantErr: "Invalid option: +bogus\n" + digUsage},
		{name: "bad port", argv: []string{"dig", "-p", "99999", "x"}, wantCode: 1,
			wantErr: "invalid port number '99999': out of range\ndig: Couldn't parse port number\n"},
		{name: "server name that does not resolve", argv: []string{"dig", "@nosuch", "x"}, wantCode: 1,
			wantErr: "dig: couldn't get address for 'nosuch': not found\n"},
		{name: "-v", gnu: true, argv: []string{"dig", "-v"}, wantErr: "DiG 9.18.33-1~deb12u2-Debian\n"},
	})
}

func TestDigColumns(t *testing.T) {
	t.Parallel()
	// BIND's layout, as dig 9.18 printed these records
	tests := []struct {
		rr   string
		want string
	}{
		{"my-svc.default.svc.cluster.local. 30 IN A 10.96.0.12", "my-svc.default.svc.cluster.local. 30 IN\tA\t10.96.0.12"},
		{"ext.default.svc.cluster.local. 5 IN CNAME my-svc.default.svc.cluster.local.", "ext.default.svc.cluster.local. 5 IN\tCNAME\tmy-svc.default.svc.cluster.local."},
		{"cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30", "cluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"},
		{"12.0.96.10.in-addr.arpa. 30 IN PTR my-svc.default.svc.cluster.local.", "12.0.96.10.in-addr.arpa. 30\tIN\tPTR\tmy-svc.default.svc.cluster.local."},
		{"_http._tcp.my-svc.default.svc.cluster.local. 30 IN SRV 0 100 80 my-svc.default.svc.cluster.local.", "_http._tcp.my-svc.default.svc.cluster.local. 30\tIN SRV 0 100 80 my-svc.default.svc.cluster.local."},
		{"my-svc.default.svc.cluster.local. 30 IN AAAA fd00:10:96::c", "my-svc.default.svc.cluster.local. 30 IN\tAAAA\tfd00:10:96::c"},
	}
	for _, tt := range tests {
		rr, err := dns.NewRR(tt.rr)
		if err != nil {
			t.Fatalf("%s: %v", tt.rr, err)
		}
		if got := digRR(rr); got != tt.want {
			t.Errorf("digRR(%s)\n got %q\nwant %q", tt.rr, got, tt.want)
		}
	}
}

func TestNc(t *testing.T) {
	t.Parallel()
	runNetCases(t, []netCase{
		{name: "busybox -zv open", argv: []string{"nc", "-zv", "10.96.0.12", "80"}, wantErr: "10.96.0.12 (10.96.0.12:80) open\n"},
		{name: "busybox -zv name open", argv: []string{"nc", "-z", "-v", "my-svc", "80"}, wantErr: "my-svc (10.96.0.12:80) open\n"},
		{name: "busybox -zv IPv6 open", argv: []string{"nc", "-zv", "fd00:10:96::c", "80"}, wantErr: "fd00:10:96::c ([fd00:10:96::c]:80) open\n"},
		{name: "busybox -zv refused is quiet", argv: []string{"nc", "-zv", "10.96.0.12", "81"}, wantCode: 1},
		{name: "busybox -zvv refused", argv: []string{"nc", "-zvv", "10.96.0.12", "81"}, wantCode: 1,
			wantErr: "nc: 10.96.0.12 (10.96.0.12:81): Connection refused\nsent 0, rcvd 0\n"},
		{name: "busybox -w timeout", argv: []string{"nc", "-zv", "-w", "1", "10.96.0.99", "80"}, wantCode: 1,
			wantErr: "nc: 10.96.0.99 (10.96.0.99:80): Connection timed out\n"},
		{name: "busybox bad address", argv: []string{"nc", "-zv", "nosuch", "80"}, wantCode: 1, wantErr: "nc: bad address 'nosuch'\n"},
		{name: "busybox bad port", argv: []string{"nc", "my-svc", "8x"}, wantCode: 1, wantErr: "nc: bad port '8x'\n"},
		{name: "busybox service name port", argv: []string{"nc", "-zv", "my-svc", "http"}, wantErr: "my-svc (10.96.0.12:80) open\n"},
		{name: "busybox usage", argv: []string{"nc"}, wantCode: 1, wantErr: ncBusyboxUsage},
		{name: "busybox redis PING", stdin: "PING\n", argv: []string{"nc", "redis", "6379"}, wantOut: "+PONG\r\n"},
		{name: "busybox HTTP/1.0 by hand", stdin: "GET / HTTP/1.0\r\n\r\n", argv: []string{"nc", "my-svc", "80"},
			wantOut: "HTTP/1.1 200 OK\r\nServer: nginx/1.27.3\r\nDate: Thu, 02 Jan 2025 03:04:05 GMT\r\nContent-Type: text/html\r\nContent-Length: 16\r\nConnection: keep-alive\r\n\r\n<h1>my-svc</h1>\n"},
		{name: "openbsd -zv open", gnu: true, argv: []string{"nc", "-zv", "10.96.0.12", "80"}, wantErr: "Connection to 10.96.0.12 80 port [tcp/http] succeeded!\n"},
		{name: "openbsd -zv name", gnu: true, argv: []string{"nc", "-zv", "my-svc", "80"}, wantErr: "Connection to my-svc (10.96.0.12) 80 port [tcp/http] succeeded!\n"},
		{name: "openbsd -zv IPv6", gnu: true, argv: []string{"nc", "-zv", "fd00:10:96::c", "80"}, wantErr: "Connection to fd00:10:96::c 80 port [tcp/http] succeeded!\n"},
		{name: "openbsd -zv refused", gnu: true, argv: []string{"nc", "-zv", "10.96.0.12", "81"}, wantCode: 1,
			wantErr: "nc: connect to 10.96.0.12 port 81 (tcp) failed: Connection refused\n"},
		{name: "openbsd -z refused quiet", gnu: true, argv: []string{"nc", "-z", "10.96.0.12", "81"}, wantCode: 1},
		{name: "openbsd range", gnu: true, argv: []string{"nc", "-zv", "10.96.0.12", "79-80"},
			wantErr: "nc: connect to 10.96.0.12 port 79 (tcp) failed: Connection refused\nConnection to 10.96.0.12 80 port [tcp/http] succeeded!\n"},
		{name: "openbsd -w timeout", gnu: true, argv: []string{"nc", "-zv", "-w", "1", "10.96.0.99", "80"}, wantCode: 1,
			wantErr: "nc: connect to 10.96.0.99 port 80 (tcp) timed out: Operation now in progress\n"},
		{name: "openbsd unknown host", gnu: true, argv: []string{"nc", "-zv", "nosuch", "80"}, wantCode: 1,
			wantErr: "nc: getaddrinfo for host \"nosuch\" port 80: Name or service not known\n"},
		{name: "openbsd musl unknown host", argv: []string{"nc.openbsd", "-zv", "nosuch", "80"}, wantCode: 1,
			wantErr: "nc.openbsd: getaddrinfo for host \"nosuch\" port 80: Name does not resolve\n"},
		{name: "openbsd missing port", gnu: true, argv: []string{"nc", "my-svc"}, wantCode: 1, wantErr: "nc: missing port number\n"},
		{name: "openbsd -N redis", gnu: true, stdin: "PING\n", argv: []string{"nc", "-N", "redis", "6379"}, wantOut: "+PONG\r\n"},
		{name: "openbsd -q redis", gnu: true, stdin: "PING\n", argv: []string{"nc", "-q", "1", "redis", "6379"}, wantOut: "+PONG\r\n"},
	})
}

// TestNcWaitsForThePeer checks netcat-openbsd's default: at the end of its input it keeps the
// connection open until the peer closes it (the redis here never does), so only -w ends it.
func TestNcWaitsForThePeer(t *testing.T) {
	t.Parallel()
	sys := newNetSys(t, proc.GNU)
	start := time.Now()
	out, errOut, code := runOn(t, sys, "PING\n", "nc", "-w", "1", "redis", "6379")
	if out != "+PONG\r\n" || errOut != "" || code != 0 {
		t.Errorf("got %q %q %d", out, errOut, code)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("nc ended after %v, before its -w 1 idle timeout", d)
	}
}

func TestNcListen(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		u       proc.Userland
		argv    []string
		wantErr string
	}{
		{"busybox", proc.Busybox, []string{"nc", "-lv", "-p", "9000"},
			"listening on [::]:9000 ...\nconnect to [::ffff:127.0.0.1]:9000 from [::ffff:127.0.0.1]:40001 ([::ffff:127.0.0.1]:40001)\n"},
		{"openbsd", proc.GNU, []string{"nc", "-lv", "9000"}, "Listening on 0.0.0.0 9000\nConnection received on localhost 40001\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sys := newNetSys(t, tt.u)
			type result struct {
				out, err string
				code     int
			}
			done := make(chan result)
			go func() {
				o, e, c := runOn(t, sys, "hello from the server\n", tt.argv...)
				done <- result{o, e, c}
			}()
			var conn net.Conn
			for conn == nil {
				c, err := sys.net.dial(context.Background(), netip.MustParseAddrPort("127.0.0.1:9000"))
				if err == nil {
					conn = c
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			io.WriteString(conn, "hello from the client\n")
			conn.(closeWriter).CloseWrite()
			got, _ := io.ReadAll(conn)
			conn.Close()
			r := <-done
			if string(got) != "hello from the server\n" || r.out != "hello from the client\n" || r.code != 0 {
				t.Errorf("client got %q, server printed %q, exit %d", got, r.out, r.code)
			}
			if diff := cmp.Diff(tt.wantErr, r.err); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	runNetCases(t, []netCase{
		{name: "busybox pod", argv: []string{"ping", "-c", "1", "10.244.0.7"},
			wantOut: "PING 10.244.0.7 (10.244.0.7): 56 data bytes\n64 bytes from 10.244.0.7: seq=0 ttl=63 time=0.062 ms\n\n--- 10.244.0.7 ping statistics ---\n1 packets transmitted, 1 packets received, 0% packet loss\nround-trip min/avg/max = 0.062/0.062/0.062 ms\n"},
		{name: "busybox IPv6 pod", argv: []string{"ping", "-6", "-c", "1", "fd00::7"},
			wantOut: "PING fd00::7 (fd00::7): 56 data bytes\n64 bytes from fd00::7: seq=0 ttl=63 time=0.065 ms\n\n--- fd00::7 ping statistics ---\n1 packets transmitted, 1 packets received, 0% packet loss\nround-trip min/avg/max = 0.065/0.065/0.065 ms\n"},
		{name: "busybox by name, two pings", argv: []string{"ping", "-c", "2", "-i", "0.2", "web-1.nginx"},
			wantOut: "PING web-1.nginx (10.244.0.7): 56 data bytes\n64 bytes from 10.244.0.7: seq=0 ttl=63 time=0.062 ms\n64 bytes from 10.244.0.7: seq=1 ttl=63 time=0.063 ms\n\n--- web-1.nginx ping statistics ---\n2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = 0.062/0.062/0.063 ms\n"},
		{name: "busybox ClusterIP gets no answer", argv: []string{"ping", "-c", "1", "-W", "1", "10.96.0.12"}, wantCode: 1,
			wantOut: "PING 10.96.0.12 (10.96.0.12): 56 data bytes\n\n--- 10.96.0.12 ping statistics ---\n1 packets transmitted, 0 packets received, 100% packet loss\n"},
		{name: "busybox bad address", argv: []string{"ping", "-c", "1", "nosuch"}, wantCode: 1, wantErr: "ping: bad address 'nosuch'\n"},
		{name: "busybox ping6 loopback", argv: []string{"ping6", "-c", "1", "::1"},
			wantOut: "PING ::1 (::1): 56 data bytes\n64 bytes from ::1: seq=0 ttl=64 time=0.040 ms\n\n--- ::1 ping statistics ---\n1 packets transmitted, 1 packets received, 0% packet loss\nround-trip min/avg/max = 0.040/0.040/0.040 ms\n"},
		{name: "iputils pod", gnu: true, argv: []string{"ping", "-c", "1", "10.244.0.7"},
			wantOut: "PING 10.244.0.7 (10.244.0.7) 56(84) bytes of data.\n64 bytes from 10.244.0.7: icmp_seq=1 ttl=63 time=0.062 ms\n\n--- 10.244.0.7 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.062/0.062/0.062/0.000 ms\n"},
		{name: "iputils by name looks the replier up", gnu: true, argv: []string{"ping", "-c", "2", "-i", "0.2", "web-1.nginx"},
			wantOut: "PING web-1.nginx.default.svc.cluster.local (10.244.0.7) 56(84) bytes of data.\n64 bytes from web-1.nginx.default.svc.cluster.local (10.244.0.7): icmp_seq=1 ttl=63 time=0.062 ms\n64 bytes from web-1.nginx.default.svc.cluster.local (10.244.0.7): icmp_seq=2 ttl=63 time=0.063 ms\n\n--- web-1.nginx.default.svc.cluster.local ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 200ms\nrtt min/avg/max/mdev = 0.062/0.062/0.063/0.000 ms\n"},
		{name: "iputils IPv6 loopback", gnu: true, argv: []string{"ping", "-c", "1", "::1"},
			wantOut: "PING ::1(::1) 56 data bytes\n64 bytes from ::1: icmp_seq=1 ttl=64 time=0.040 ms\n\n--- ::1 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.040/0.040/0.040/0.000 ms\n"},
		{name: "iputils ClusterIP gets no answer", gnu: true, argv: []string{"ping", "-c", "1", "-W", "1", "my-svc"}, wantCode: 1,
			wantOut: "PING my-svc.default.svc.cluster.local (10.96.0.12) 56(84) bytes of data.\n\n--- my-svc.default.svc.cluster.local ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n"},
		{name: "iputils host unreachable", gnu: true, argv: []string{"ping", "-c", "1", "10.244.9.9"}, wantCode: 1,
			wantOut: "PING 10.244.9.9 (10.244.9.9) 56(84) bytes of data.\nFrom 10.244.0.5 icmp_seq=1 Destination Host Unreachable\n\n--- 10.244.9.9 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n"},
		{name: "iputils unknown host", gnu: true, argv: []string{"ping", "-c", "1", "nosuch"}, wantCode: 2, wantErr: "ping: nosuch: Name or service not known\n"},
		{name: "iputils no destination", gnu: true, argv: []string{"ping"}, wantCode: 1, wantErr: "ping: usage error: Destination address required\n"},
	})
}

func TestCurl(t *testing.T) {
	t.Parallel()
	meterHead := "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n"
	zero := "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
	runNetCases(t, []netCase{
		{name: "-sv by name", argv: []string{"curl", "-sv", "http://my-svc/"}, golden: "curl-v-name"},
		{name: "-sv IPv6 literal", argv: []string{"curl", "-sv", "http://[fd00:10:96::c]:80/"}, golden: "curl-v-ipv6"},
		{name: "-sv -6 by name", argv: []string{"curl", "-sv", "-6", "my-svc"}, golden: "curl-v-6"},
		{name: "-sI", argv: []string{"curl", "-sI", "my-svc"},
			wantOut: "HTTP/1.1 200 OK\r\nServer: nginx/1.27.3\r\nDate: Thu, 02 Jan 2025 03:04:05 GMT\r\nContent-Type: text/html\r\nContent-Length: 16\r\nConnection: keep-alive\r\n\r\n"},
		{name: "-s -H -d -v", argv: []string{"curl", "-sv", "-H", "X-Test:1", "-H", "Accept:", "-d", "a=b", "-o", "/tmp/out", "10.96.0.12/submit"}, golden: "curl-v-post"},
		{name: "-sL follows", argv: []string{"curl", "-sL", "my-svc/redirect"}, wantOut: "<h1>my-svc</h1>\n"},
		{name: "-sf 404", argv: []string{"curl", "-sf", "my-svc/missing"}, wantCode: 22},
		{name: "-f 404 with meter", argv: []string{"curl", "-f", "my-svc/missing"}, wantCode: 22,
			wantErr: meterHead + zero + zero + "\ncurl: (22) The requested URL returned error: 404\n"},
		{name: "-w code", argv: []string{"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "my-svc"}, wantOut: "200"},
		{name: "-w code when refused", argv: []string{"curl", "-s", "-w", "%{http_code}\\n", "10.96.0.12:81"}, wantOut: "000\n", wantCode: 7},
		{name: "refused", argv: []string{"curl", "my-svc:81"}, wantCode: 7,
			wantErr: meterHead + zero + zero + "\ncurl: (7) Failed to connect to my-svc port 81 after 0 ms: Could not connect to server\n"},
		{name: "refused -v", argv: []string{"curl", "-v", "http://10.96.0.12:81/"}, golden: "curl-refused-v", wantCode: 7},
		{name: "refused -s quiet, -sS not", argv: []string{"curl", "-sS", "[fd00:10:96::c]:81"}, wantCode: 7,
			wantErr: "curl: (7) Failed to connect to fd00:10:96::c port 81 after 0 ms: Could not connect to server\n"},
		{name: "unknown host", argv: []string{"curl", "http://nosuch/"}, wantCode: 6,
			wantErr: meterHead + zero + zero + "curl: (6) Could not resolve host: nosuch\n"},
		{name: "unknown host -sv", argv: []string{"curl", "-sv", "http://nosuch/"}, wantCode: 6,
			wantErr: "* Could not resolve host: nosuch\n* shutting down connection #0\n"},
		{name: "connect timeout", argv: []string{"curl", "-sS", "--connect-timeout", "0.2", "10.96.0.99"}, wantCode: 28,
			wantErr: "curl: (28) Connection timed out after 0 milliseconds\n"},
		{name: "connect timeout -v", argv: []string{"curl", "-sv", "-m", "0.2", "10.96.0.99"}, wantCode: 28,
			wantErr: "*   Trying 10.96.0.99:80...\n* Connection timed out after 0 milliseconds\n* closing connection #0\n"},
		{name: "https to a plain port", argv: []string{"curl", "-sS", "https://my-svc:80/"}, wantCode: 35,
			wantErr: "curl: (35) OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number\n"},
		{name: "no URL", argv: []string{"curl", "-s"}, wantCode: 2, wantErr: "curl: (2) no URL specified\ncurl: try 'curl --help' for more information\n"},
		{name: "unknown option", argv: []string{"curl", "--bogus", "my-svc"}, wantCode: 2, wantErr: "curl: option --bogus: is unknown\ncurl: try 'curl --help' for more information\n"},
		{name: "-4 takes no argument", argv: []string{"curl", "-s4", "-o", "/dev/null", "-w", "%{remote_ip}", "my-svc"}, wantOut: "10.96.0.12"},
	})
}

// TestCurlMeter checks the progress meter's lines for a transfer (the speeds depend on the
// clock, so only their shape).
func TestCurlMeter(t *testing.T) {
	t.Parallel()
	sys := newNetSys(t, proc.Busybox)
	out, errOut, code := runOn(t, sys, "", "curl", "my-svc")
	if out != "<h1>my-svc</h1>\n" || code != 0 {
		t.Fatalf("got %q, exit %d", out, code)
	}
	re := regexp.MustCompile(`^  % Total .*\n +Dload .*\n` +
		`\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0` +
		`\r  0    16    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0` +
		`\r100    16  100    16    0     0  [ 0-9k]{5}      0 --:--:-- --:--:-- --:--:-- [ 0-9k]{5}\n$`)
	if !re.MatchString(errOut) {
		t.Errorf("meter %q", errOut)
	}
}

func TestWget(t *testing.T) {
	t.Parallel()
	runNetCases(t, []netCase{
		{name: "to stdout", argv: []string{"wget", "-O", "-", "http://my-svc/"}, wantOut: "<h1>my-svc</h1>\n",
			wantErr: "Connecting to my-svc (10.96.0.12:80)\nwriting to stdout\n-                    100% |********************************|    16  0:00:00 ETA\nwritten to stdout\n"},
		{name: "port shown when given", argv: []string{"wget", "-q", "-O", "-", "my-svc:80"}, wantOut: "<h1>my-svc</h1>\n"},
		{name: "refused", argv: []string{"wget", "http://10.96.0.12:81/"}, wantCode: 1,
			wantErr: "Connecting to 10.96.0.12:81 (10.96.0.12:81)\nwget: can't connect to remote host (10.96.0.12): Connection refused\n"},
		{name: "refused IPv6", argv: []string{"wget", "http://[fd00:10:96::c]:81/"}, wantCode: 1,
			wantErr: "Connecting to [fd00:10:96::c]:81 ([fd00:10:96::c]:81)\nwget: can't connect to remote host: Connection refused\n"},
		{name: "bad address", argv: []string{"wget", "http://nosuch/"}, wantCode: 1, wantErr: "wget: bad address 'nosuch'\n"},
		{name: "timeout", argv: []string{"wget", "-q", "-T", "1", "http://10.96.0.99/"}, wantCode: 1, wantErr: "wget: download timed out\n"},
		{name: "404", argv: []string{"wget", "-q", "http://my-svc/missing"}, wantCode: 1, wantErr: "wget: server returned error: HTTP/1.1 404 Not Found\n"},
		{name: "spider", argv: []string{"wget", "--spider", "my-svc"}, wantErr: "Connecting to my-svc (10.96.0.12:80)\nremote file exists\n"},
	})
}

// TestNcExec checks busybox's -e: the program runs with the connection as its input and
// output.
func TestNcExec(t *testing.T) {
	t.Parallel()
	sys := newNetSys(t, proc.Busybox)
	done := make(chan int)
	go func() {
		_, _, code := runOn(t, sys, "", "nc", "-l", "-p", "9001", "-e", "cat")
		done <- code
	}()
	var conn net.Conn
	for conn == nil {
		if c, err := sys.net.dial(context.Background(), netip.MustParseAddrPort("[::1]:9001")); err == nil {
			conn = c
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	io.WriteString(conn, "echoed by cat\n")
	conn.(closeWriter).CloseWrite()
	got, _ := io.ReadAll(conn)
	conn.Close()
	if code := <-done; string(got) != "echoed by cat\n" || code != 0 {
		t.Errorf("got %q, exit %d", got, code)
	}
}
