package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"sync"
	"syscall"
)

// SandboxConfig describes a pod sandbox: what its containers share.
type SandboxConfig struct {
	// ID is the sandbox ID (64 hex digits as containerd makes them); empty means a new one.
	ID string
	// Hostname is the pod's kernel hostname (uname -n, HOSTNAME).
	Hostname string
	// PodIPs are eth0's addresses with their prefix lengths, in status.podIPs order.
	PodIPs []netip.Prefix
}

// Sandbox is a pod's shared namespaces: hostname and network (its addresses and the ports
// its containers listen on). Containers of one pod are started in the same Sandbox so that
// they reach each other on localhost and share port-forwards.
type Sandbox struct {
	rt       *Runtime
	id       string
	hostname string
	ips      []netip.Prefix

	mu        sync.Mutex
	listeners map[int]*listener
	ephemeral int
}

type listener struct {
	s     *Sandbox
	port  int
	serve func(net.Conn)
	owner *process
	once  sync.Once
}

// Close stops listening.
func (l *listener) Close() error {
	l.once.Do(func() {
		l.s.mu.Lock()
		if l.s.listeners[l.port] == l {
			delete(l.s.listeners, l.port)
		}
		l.s.mu.Unlock()
	})
	return nil
}

// NewSandbox creates a sandbox and puts it on the network: Runtime.Connect
// reaches it at its addresses until Close. It holds no goroutines.
func (r *Runtime) NewSandbox(cfg SandboxConfig) *Sandbox {
	id := cfg.ID
	if id == "" {
		id = newID()
	}
	s := &Sandbox{rt: r, id: id, hostname: cfg.Hostname, ips: append([]netip.Prefix(nil), cfg.PodIPs...),
		listeners: map[int]*listener{}, ephemeral: 40000}
	r.addrs.add(s)
	return s
}

// ID is the sandbox ID.
func (s *Sandbox) ID() string { return s.id }

func (s *Sandbox) listen(owner *process, port int, serve func(net.Conn)) (io.Closer, error) {
	if port <= 0 || port > 65535 {
		return nil, syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.listeners[port]; taken {
		return nil, syscall.EADDRINUSE
	}
	l := &listener{s: s, port: port, serve: serve, owner: owner}
	s.listeners[port] = l
	return l, nil
}

// ListeningPorts lists the ports something in the pod listens on, sorted.
func (s *Sandbox) ListeningPorts() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for p := range s.listeners {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// local reports whether addr is one of the pod's own addresses (or loopback).
func (s *Sandbox) local(addr netip.Addr) bool {
	if addr.IsLoopback() || addr.IsUnspecified() {
		return true
	}
	for _, p := range s.ips {
		if p.Addr() == addr.Unmap() {
			return true
		}
	}
	return false
}

// pipeConn is one end of an in-memory TCP connection, with the addresses a socket would have.
type pipeConn struct {
	net.Conn
	local, remote net.Addr
}

func (c pipeConn) LocalAddr() net.Addr  { return c.local }
func (c pipeConn) RemoteAddr() net.Addr { return c.remote }

func refused(to netip.AddrPort) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(to), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// Connect opens a TCP connection to port on this pod from the address from (the kubelet's
// node address for probes, another pod's for traffic between pods); syscall.ECONNREFUSED
// (inside a *net.OpError) when nothing listens.
func (s *Sandbox) Connect(ctx context.Context, from netip.Addr, port int) (net.Conn, error) {
	to := netip.AddrPort{}
	for _, p := range s.ips {
		if !from.IsValid() || p.Addr().Is4() == from.Is4() {
			to = netip.AddrPortFrom(p.Addr(), uint16(port))
			break
		}
	}
	if !to.IsValid() {
		to = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	}
	if !from.IsValid() {
		from = to.Addr()
	}
	return s.connect(ctx, from, to)
}

func (s *Sandbox) connect(ctx context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	l := s.listeners[int(to.Port())]
	s.ephemeral++
	if s.ephemeral > 60999 {
		s.ephemeral = 32768
	}
	src := netip.AddrPortFrom(from, uint16(s.ephemeral))
	s.mu.Unlock()
	if l == nil {
		return nil, refused(to)
	}
	client, server := net.Pipe()
	go l.serve(pipeConn{Conn: server, local: net.TCPAddrFromAddrPort(to), remote: net.TCPAddrFromAddrPort(src)})
	return pipeConn{Conn: client, local: net.TCPAddrFromAddrPort(src), remote: net.TCPAddrFromAddrPort(to)}, nil
}

// dial is a container's outgoing connection: to itself through its listeners, elsewhere
// through Options.Dialer.
func (s *Sandbox) dial(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
	addr := to.Addr().Unmap()
	to = netip.AddrPortFrom(addr, to.Port())
	if s.local(addr) {
		from := addr
		if addr.IsUnspecified() {
			from = netip.MustParseAddr("127.0.0.1")
			if addr.Is6() {
				from = netip.IPv6Loopback()
			}
		}
		return s.connect(ctx, from, to)
	}
	if s.rt.opts.Dialer != nil {
		var from netip.Addr
		for _, p := range s.ips {
			if p.Addr().Is4() == addr.Is4() {
				from = p.Addr()
				break
			}
		}
		return s.rt.opts.Dialer.Dial(ctx, from, to)
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(to), Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
}

// PortForward connects stream to port inside the pod, as `kubectl port-forward` does,
// and copies both ways until either side ends or ctx does. Nothing listening gives
// containerd's error.
func (s *Sandbox) PortForward(ctx context.Context, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	s.mu.Lock()
	l := s.listeners[int(port)]
	s.mu.Unlock()
	if l == nil || port <= 0 || port > 65535 {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace %q, IPv4: dial tcp4 127.0.0.1:%d: connect: connection refused IPv6 dial tcp6 [::1]:%d: connect: connection refused ",
			port, s.id, port, port)
	}
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	conn, err := s.connect(ctx, to.Addr(), to)
	if err != nil {
		return err
	}
	defer conn.Close()
	errCh := make(chan error, 2)
	go func() {
		_, err := io.Copy(stream, conn)
		errCh <- err
	}()
	go func() {
		_, err := io.Copy(conn, stream)
		errCh <- err
	}()
	select {
	case err = <-errCh:
	case <-ctx.Done():
	}
	conn.Close()
	stream.Close()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
