package servers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// The images of this file are Go programs (agnhost, http-echo). What a client and the logs see
// of them is mostly the standard library's: net/http answers, the log package's lines and the
// Go runtime's signal handling. So they run the real net/http server over the pod's
// connections and log through a real *log.Logger; only the operating system around them is
// simulated.

// goLogger is the standard logger of a Go program in the container: log.LstdFlags in the
// container's time zone (UTC), on stderr.
func goLogger(p *proc.Proc) *log.Logger {
	return log.New(p.Stderr, "", log.LstdFlags|log.LUTC)
}

// goTime is time.Now().String() as a Go program started at start prints it, with the
// monotonic clock reading ("2025-01-02 03:04:05.123456789 +0000 UTC m=+1.000000001").
func goTime(now, start time.Time) string {
	m := now.Sub(start)
	return now.UTC().Format("2006-01-02 15:04:05.999999999 -0700 MST") +
		fmt.Sprintf(" m=+%d.%09d", m/time.Second, m%time.Second)
}

// goSignalName is a signal as os.Signal's String prints it.
func goSignalName(s proc.Signal) string {
	switch s {
	case proc.SIGHUP:
		return "hangup"
	case proc.SIGINT:
		return "interrupt"
	case proc.SIGQUIT:
		return "quit"
	case proc.SIGTERM:
		return "terminated"
	case proc.SIGUSR1:
		return "user defined signal 1"
	case proc.SIGUSR2:
		return "user defined signal 2"
	case proc.SIGPIPE:
		return "broken pipe"
	case proc.SIGALRM:
		return "alarm clock"
	case proc.SIGCHLD:
		return "child exited"
	case proc.SIGCONT:
		return "continued"
	case proc.SIGTSTP:
		return "stopped"
	case proc.SIGURG:
		return "urgent I/O condition"
	case proc.SIGWINCH:
		return "window changed"
	}
	return "signal " + strconv.Itoa(int(s))
}

// goSignals stands for the Go runtime's signal handlers: C carries every signal the runtime
// catches; filter says which the program asked for with signal.Notify and what the runtime
// does with the others (it ignores SIGUSR1, SIGUSR2 and SIGALRM, and dies of SIGHUP, SIGINT,
// SIGTERM and SIGQUIT).
type goSignals struct {
	p    *proc.Proc
	C    <-chan proc.Signal
	want map[proc.Signal]bool
}

func newGoSignals(p *proc.Proc, notify ...proc.Signal) *goSignals {
	g := &goSignals{p: p, want: map[proc.Signal]bool{}}
	for _, s := range notify {
		g.want[s] = true
	}
	g.C = p.Sys.Notify(append([]proc.Signal{proc.SIGHUP, proc.SIGINT, proc.SIGQUIT, proc.SIGTERM, proc.SIGUSR1, proc.SIGUSR2, proc.SIGALRM}, notify...)...)
	return g
}

// filter tells what becomes of s: deliver to the program, or the runtime's default, which
// may end the process with status.
func (g *goSignals) filter(s proc.Signal) (deliver bool, status int, dies bool) {
	if g.want[s] {
		return true, 0, false
	}
	status, dies = goDefault(g.p, s)
	return false, status, dies
}

// goDefault is what the Go runtime does with a signal no one asked for: whether the process
// dies of it and with which status. It re-raises SIGHUP, SIGINT and SIGTERM with the default
// action, which the kernel ignores for a namespace's PID 1, so that the runtime then exits
// 2; SIGQUIT dumps the goroutines and exits 2.
func goDefault(p *proc.Proc, s proc.Signal) (int, bool) {
	switch s {
	case proc.SIGQUIT:
		fmt.Fprintf(p.Stderr, "SIGQUIT: quit\nPC=0x4754c1 m=0 sigcode=0\n\ngoroutine 0 gp=0x%x m=0 mp=0x%x [idle]:\n", 0xc000002380, 0xc0000a8008)
		return 2, true
	case proc.SIGHUP, proc.SIGINT, proc.SIGTERM:
		if p.Sys.PID() == 1 {
			return 2, true
		}
		return 128 + int(s), true
	}
	return 0, false
}

// connListener is a net.Listener fed with the pod's connections to one port, for a real
// http.Server to accept.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

var _ net.Listener = (*connListener)(nil)

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// ownedConn is a connection handed to the http.Server; Close tells the goroutine that got it
// from the pod's network that the server is done with it.
type ownedConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *ownedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.closed) })
	return err
}

// hand gives c to the server and waits until the server is done with it.
func (l *connListener) hand(c net.Conn) {
	oc := &ownedConn{Conn: c, closed: make(chan struct{})}
	select {
	case l.conns <- oc:
	case <-l.done:
		return
	}
	select {
	case <-oc.closed:
	case <-l.done:
	}
}

// goHTTPServer is a net/http server on one port of the pod.
type goHTTPServer struct {
	srv  *http.Server
	l    *connListener
	port io.Closer
}

// serveGoHTTP serves h on port as http.ListenAndServe(":port", h) does, for as long as the
// process lives or until Close. The error is the one ListenAndServe gives when the port is
// taken ("listen tcp :8080: bind: address already in use").
func serveGoHTTP(p *proc.Proc, port int, h http.Handler, errorLog *log.Logger) (*goHTTPServer, error) {
	l := &connListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: &net.TCPAddr{IP: net.IPv6zero, Port: port}}
	closer, err := listen(p, port, l.hand)
	if err != nil {
		return nil, goListenError(port, err)
	}
	s := &goHTTPServer{srv: &http.Server{Handler: h, ErrorLog: errorLog}, l: l, port: closer}
	go func() { _ = s.srv.Serve(l) }()
	context.AfterFunc(p.Ctx, func() { s.Close() })
	return s, nil
}

// Close stops listening (new connections are refused) and closes every connection.
func (s *goHTTPServer) Close() {
	s.port.Close()
	s.l.Close()
	s.srv.Close()
}

// Shutdown is http.Server.Shutdown: the port is closed at once, idle connections too, and
// the requests in flight get until ctx ends to finish.
func (s *goHTTPServer) Shutdown(ctx context.Context) error {
	s.port.Close()
	return s.srv.Shutdown(ctx)
}

// goListenError is net.Listen's error for a port the pod cannot listen on.
func goListenError(port int, err error) error {
	return &net.OpError{Op: "listen", Net: "tcp", Addr: &net.TCPAddr{Port: port}, Err: os.NewSyscallError("bind", err)}
}

// goListenAddr reads the port out of a Go listen address (":5678", "0.0.0.0:8080").
func goListenAddr(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, &net.OpError{Op: "listen", Net: "tcp", Err: err}
	}
	if port == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return 0, &net.OpError{Op: "listen", Net: "tcp", Err: &net.DNSError{Err: "unknown port", Name: "tcp/" + port, IsNotFound: true}}
	}
	return n, nil
}

// containerFS is the container's filesystem as an http.FileSystem rooted at /, for
// http.FileServer.
type containerFS struct{ p *proc.Proc }

var _ http.FileSystem = containerFS{}

func (c containerFS) Open(name string) (http.File, error) {
	name = path.Clean("/" + name)
	st, err := c.p.FS().Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		ents, err := c.p.FS().ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &containerDir{info: st, ents: ents, fs: c, dir: name}, nil
	}
	b, err := c.p.FS().ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &containerFile{Reader: bytes.NewReader(b), info: st}, nil
}

type containerFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *containerFile) Close() error                       { return nil }
func (f *containerFile) Readdir(int) ([]fs.FileInfo, error) { return nil, syscall.ENOTDIR }
func (f *containerFile) Stat() (fs.FileInfo, error)         { return f.info, nil }

type containerDir struct {
	info fs.FileInfo
	ents []fs.DirEntry
	fs   containerFS
	dir  string
	read bool
}

func (d *containerDir) Read([]byte) (int, error)       { return 0, syscall.EISDIR }
func (d *containerDir) Seek(int64, int) (int64, error) { return 0, nil }
func (d *containerDir) Close() error                   { return nil }
func (d *containerDir) Stat() (fs.FileInfo, error)     { return d.info, nil }

func (d *containerDir) Readdir(n int) ([]fs.FileInfo, error) {
	if d.read {
		if n > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	d.read = true
	var out []fs.FileInfo
	for _, e := range d.ents {
		// a symlink is listed as what it points to, as os.File.Readdir's Lstat would not;
		// http.FileServer only uses the name and whether it is a directory
		if st, err := d.fs.p.FS().Stat(path.Join(d.dir, e.Name())); err == nil {
			out = append(out, renamed{st, e.Name()})
		} else if info, err := e.Info(); err == nil {
			out = append(out, info)
		}
	}
	return out, nil
}

type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// goResolver looks names up as Go's pure resolver does: an address literal, /etc/hosts, then
// the nameservers of /etc/resolv.conf with its search list and ndots.
type goResolver struct{ p *proc.Proc }

func (r goResolver) lookup(ctx context.Context, name string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	if addrs := r.hosts(name); len(addrs) > 0 {
		return addrs, nil
	}
	servers, search, ndots := r.resolvConf()
	dnsErr := &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	if len(servers) > 0 {
		dnsErr.Server = servers[0].String()
	}
	for _, fqdn := range goCandidates(name, search, ndots) {
		var addrs []netip.Addr
		for _, qt := range []proc.QType{proc.TypeA, proc.TypeAAAA} {
			for _, s := range servers {
				qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				reply, err := r.p.Sys.Exchange(qctx, s, proc.Query(fqdn, qt))
				cancel()
				if err != nil {
					dnsErr = &net.DNSError{Err: "i/o timeout", Name: name, Server: s.String(), IsTimeout: true}
					continue
				}
				addrs = append(addrs, proc.Summarize(reply).Addrs...)
				break
			}
		}
		if len(addrs) > 0 {
			return addrs, nil
		}
	}
	return nil, dnsErr
}

func (r goResolver) hosts(name string) []netip.Addr {
	b, err := r.p.FS().ReadFile("/etc/hosts")
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, l := range strings.Split(string(b), "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		for _, n := range f[1:] {
			if strings.EqualFold(strings.TrimSuffix(n, "."), strings.TrimSuffix(name, ".")) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func (r goResolver) resolvConf() (servers []netip.AddrPort, search []string, ndots int) {
	ndots = 1
	b, err := r.p.FS().ReadFile("/etc/resolv.conf")
	if err != nil {
		return []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}, nil, ndots
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if a, err := netip.ParseAddr(f[1]); err == nil {
				servers = append(servers, netip.AddrPortFrom(a, 53))
			}
		case "search", "domain":
			search = append([]string(nil), f[1:]...)
		case "options":
			for _, o := range f[1:] {
				if v, ok := strings.CutPrefix(o, "ndots:"); ok {
					if n, err := strconv.Atoi(v); err == nil {
						ndots = min(max(n, 0), 15)
					}
				}
			}
		}
	}
	if len(servers) == 0 {
		servers = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}
	}
	return servers, search, ndots
}

// goCandidates is the order in which Go's resolver tries name against the search list.
func goCandidates(name string, search []string, ndots int) []string {
	if strings.HasSuffix(name, ".") {
		return []string{name}
	}
	var out []string
	asIs := strings.Count(name, ".") >= ndots
	if asIs {
		out = append(out, name+".")
	}
	for _, s := range search {
		out = append(out, name+"."+strings.TrimSuffix(s, ".")+".")
	}
	if !asIs {
		out = append(out, name+".")
	}
	return out
}
