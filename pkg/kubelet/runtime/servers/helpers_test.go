package servers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// fakePod is one container's process on a pod network of its own: its listeners can be
// reached with connect from any client address, and signals reach the program as the
// runtime delivers them to PID 1.
type fakePod struct {
	t        testing.TB
	fs       *vfs.FS
	pid      int
	exec     func(*proc.Proc) (int, error)
	mu       sync.Mutex
	ports    map[int]func(net.Conn)
	handled  map[proc.Signal]bool
	sigs     chan proc.Signal
	nextPort int
}

var _ proc.Sys = (*fakePod)(nil)

func newFakePod(t testing.TB, files map[string]string) *fakePod {
	t.Helper()
	b := vfs.NewBuilder(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.File("/etc/hosts", []byte("127.0.0.1\tlocalhost\n10.244.1.4\tweb-0\n10.244.3.3\tbackend.default.svc.cluster.local\n"), 0o644)
	b.File("/etc/resolv.conf", []byte("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"), 0o644)
	b.Dir("/tmp", 0o1777)
	b.Dir("/uploads", 0o755)
	for name, content := range files {
		b.File(name, []byte(content), 0o644)
	}
	tree, err := b.Tree()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := vfs.New(tree, nil, vfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakePod{t: t, fs: fs, pid: 1, ports: map[int]func(net.Conn){}, handled: map[proc.Signal]bool{},
		sigs: make(chan proc.Signal, 16), nextPort: 40000}
}

func (f *fakePod) FS() *vfs.FS             { return f.fs }
func (f *fakePod) PID() int                { return f.pid }
func (f *fakePod) Hostname() string        { return "web-0" }
func (f *fakePod) Userland() proc.Userland { return proc.Busybox }
func (f *fakePod) Uname() proc.Uname {
	return proc.Uname{Sysname: "Linux", Release: "6.8.0", Version: "#1", Machine: "x86_64", CPUs: 2, MemoryBytes: 1 << 30}
}
func (f *fakePod) PodIPs() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("10.244.1.4/24"), netip.MustParsePrefix("fd00::4/64")}
}
func (f *fakePod) Processes() []proc.ProcessInfo { return []proc.ProcessInfo{{PID: 1}} }
func (f *fakePod) Kill(int, proc.Signal) error   { return syscall.ESRCH }
func (f *fakePod) Replace(child *proc.Proc) (int, error) {
	return f.Exec(child)
}
func (f *fakePod) Exec(child *proc.Proc) (int, error) {
	if f.exec == nil {
		return 0, &proc.ExecError{Name: child.Args[0], Err: syscall.ENOENT}
	}
	return f.exec(child)
}
func (f *fakePod) Exchange(context.Context, netip.AddrPort, *dns.Msg) (*dns.Msg, error) {
	return nil, errors.New("no reply")
}

func (f *fakePod) Notify(sigs ...proc.Signal) <-chan proc.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range sigs {
		f.handled[s] = true
	}
	return f.sigs
}

// signal delivers s as the runtime does to PID 1: to the program if it asked, else nowhere.
func (f *fakePod) signal(s proc.Signal) {
	f.mu.Lock()
	ok := f.handled[s]
	f.mu.Unlock()
	if ok {
		f.sigs <- s
	}
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

func (f *fakePod) Listen(port int, serve func(net.Conn)) (io.Closer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.ports[port]; taken {
		return nil, syscall.EADDRINUSE
	}
	f.ports[port] = serve
	var once sync.Once
	return closerFunc(func() error {
		once.Do(func() {
			f.mu.Lock()
			delete(f.ports, port)
			f.mu.Unlock()
		})
		return nil
	}), nil
}

func (f *fakePod) Ping(context.Context, netip.Addr) error { return syscall.ETIMEDOUT }

func (f *fakePod) Dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	if addr.Addr() == netip.MustParseAddr("10.244.1.4") || addr.Addr().IsLoopback() {
		return f.connect(netip.MustParseAddr("10.244.1.4"), int(addr.Port()))
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: errors.New("connect: connection refused")}
}

type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// connect opens a connection to port from the address from, on ports 40001, 40002, ...
func (f *fakePod) connect(from netip.Addr, port int) (net.Conn, error) {
	f.mu.Lock()
	serve := f.ports[port]
	f.nextPort++
	src := netip.AddrPortFrom(from, uint16(f.nextPort))
	f.mu.Unlock()
	dst := netip.AddrPortFrom(netip.MustParseAddr("10.244.1.4"), uint16(port))
	if serve == nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(dst), Err: syscall.ECONNREFUSED}
	}
	client, server := net.Pipe()
	go serve(addrConn{server, net.TCPAddrFromAddrPort(dst), net.TCPAddrFromAddrPort(src)})
	return addrConn{client, net.TCPAddrFromAddrPort(src), net.TCPAddrFromAddrPort(dst)}, nil
}

func (f *fakePod) listening(port int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ports[port] != nil
}

// waitPort waits for the program to listen on port.
func (f *fakePod) waitPort(port int) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f.listening(port) {
		if time.Now().After(deadline) {
			f.t.Fatalf("nothing listens on port %d", port)
		}
		time.Sleep(time.Millisecond)
	}
}

// syncLog is a program's output, safe to read while it runs.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a program started by start.
type running struct {
	stdout, stderr syncLog
	done           chan int
}

// start runs fn as the container's main process with argv and env; it is killed at cleanup.
func (f *fakePod) start(fn proc.Func, env []string, argv ...string) *running {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{done: make(chan int, 1)}
	p := &proc.Proc{Ctx: ctx, Args: argv, Env: env, Dir: "/", Stdin: proc.Empty{}, Stdout: &r.stdout, Stderr: &r.stderr, Sys: f}
	go func() { r.done <- fn(p) }()
	f.t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			f.t.Error("the program did not end when killed")
		}
	})
	return r
}

// exit waits for the program to end by itself and returns its status.
func (r *running) exit(t testing.TB) int {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("the program did not exit")
		return 0
	}
}

// get sends GET path to port from the client address from and returns the response with
// its body read.
func (f *fakePod) get(from string, port int, path string) (*http.Response, string, error) {
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(context.Context, string, string) (net.Conn, error) {
		return f.connect(netip.MustParseAddr(from), port)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://10.244.1.4:" + strconv.Itoa(port) + path)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}
