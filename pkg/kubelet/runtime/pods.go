package runtime

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
)

// ErrNoHost means no sandbox of the runtime has the address: the caller
// (the simulated network) decides whether that is a timeout or a refusal.
var ErrNoHost = errors.New("no sandbox has this address")

// addresses finds sandboxes by IP, as a pod network's routes find a pod's
// veth. hostNetwork sandboxes share their node's addresses, so one address
// may have several sandboxes; the newest is asked first.
type addresses struct {
	mu sync.RWMutex
	by map[netip.Addr][]*Sandbox
}

func (a *addresses) add(s *Sandbox) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.by == nil {
		a.by = map[netip.Addr][]*Sandbox{}
	}
	for _, p := range s.ips {
		ip := p.Addr().Unmap()
		a.by[ip] = append([]*Sandbox{s}, a.by[ip]...)
	}
}

func (a *addresses) remove(s *Sandbox) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range s.ips {
		ip := p.Addr().Unmap()
		list := a.by[ip]
		for i, x := range list {
			if x == s {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(a.by, ip)
		} else {
			a.by[ip] = list
		}
	}
}

func (a *addresses) lookup(ip netip.Addr) []*Sandbox {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.by[ip.Unmap()]
}

// Close takes the sandbox off the network, as a CNI DEL does when the
// kubelet stops the pod sandbox: its addresses no longer reach it. Its
// containers must already have exited. Closing twice is harmless.
func (s *Sandbox) Close() { s.rt.addrs.remove(s) }

// Connect opens a TCP connection from the address from to the sandbox that
// has to's address: ErrNoHost when none has it, ECONNREFUSED (inside a
// *net.OpError) when it has but nothing listens on the port. It is how the
// simulated network delivers a connection it has routed to a pod.
func (r *Runtime) Connect(ctx context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error) {
	list := r.addrs.lookup(to.Addr())
	if len(list) == 0 {
		return nil, ErrNoHost
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	for _, s := range list[:len(list)-1] {
		if s.listening(int(to.Port())) {
			return s.connect(ctx, from, to)
		}
	}
	return list[len(list)-1].connect(ctx, from, to)
}

// Has reports whether a sandbox has ip, which answers pings to it.
func (r *Runtime) Has(ip netip.Addr) bool { return len(r.addrs.lookup(ip)) > 0 }

func (s *Sandbox) listening(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listeners[port] != nil
}
