package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/api/meta"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Config configures a Server.
type Config struct {
	// Domain is the cluster's DNS domain (--cluster-domain), such as
	// "cluster.local".
	Domain string
	// Services and EndpointSlices are the records' sources, as CoreDNS's
	// informers are.
	Services       corelisters.ServiceLister
	EndpointSlices discoverylisters.EndpointSliceLister
	// Namespaces, when set, decides which namespaces exist: CoreDNS answers
	// NXDOMAIN for "<ns>.svc.<domain>" and for pod names in a namespace
	// it does not know, and NODATA once the namespace exists. When nil,
	// every namespace is taken to exist.
	Namespaces corelisters.NamespaceLister
}

// Server answers DNS queries for one cluster. It is safe for concurrent
// use.
type Server struct {
	domain     string     // Config.Domain, lower-case and fully qualified
	zones      []string   // the zones of the kubernetes plugin, lower-case
	zoneLabels [][]string // the labels of each of zones
	services   corelisters.ServiceLister
	slices     discoverylisters.EndpointSliceLister
	namespaces corelisters.NamespaceLister
	// serial is the SOA serial: the Unix time of the last change seen,
	// as CoreDNS keeps it (plugin/kubernetes/controller.go, Modified).
	serial atomic.Uint32
}

// New returns a Server for cfg. Its SOA serial starts at the current time,
// as CoreDNS's does once its informers have listed everything; pass
// EventHandler to the informers behind the listers to move it on.
func New(cfg Config) *Server {
	domain := dns.Fqdn(lower(cfg.Domain))
	s := &Server{
		domain:     domain,
		zones:      []string{domain, "in-addr.arpa.", "ip6.arpa."},
		services:   cfg.Services,
		slices:     cfg.EndpointSlices,
		namespaces: cfg.Namespaces,
	}
	for _, z := range s.zones {
		l, _ := splitName(z)
		s.zoneLabels = append(s.zoneLabels, l)
	}
	s.touch()
	return s
}

// EventHandler moves the SOA serial on to the current time whenever a
// Service or EndpointSlice is added, deleted or updated to a new
// resourceVersion, as CoreDNS's informer handlers do. (CoreDNS also skips
// updates that change nothing it serves, such as a label; moving on for
// those too misleads no one, since the zone is never transferred: AXFR is
// refused.)
func (s *Server) EventHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.touch() },
		DeleteFunc: func(any) { s.touch() },
		UpdateFunc: func(oldObj, newObj any) {
			o, err1 := meta.Accessor(oldObj)
			n, err2 := meta.Accessor(newObj)
			if err1 == nil && err2 == nil && o.GetResourceVersion() == n.GetResourceVersion() {
				return // a resync
			}
			s.touch()
		},
	}
}

func (s *Server) touch() {
	s.serial.Store(uint32(time.Now().Unix()))
}

// ListenAndServe answers queries over UDP and TCP on addr ("127.0.0.1:0"
// picks a free port, the same for both) until ctx ends. It returns the
// bound address once both listeners are ready. Over UDP a reply is cut to
// the client's EDNS buffer size (512 octets without EDNS) with the TC bit
// set, as CoreDNS does, so that the client retries over TCP.
func (s *Server) ListenAndServe(ctx context.Context, addr string) (netip.AddrPort, error) {
	pc, l, err := listenBoth(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	bound := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	servers := []*dns.Server{
		{PacketConn: pc, Handler: dns.HandlerFunc(s.serveUDP)},
		{Listener: l, Handler: dns.HandlerFunc(s.serveTCP)},
	}
	// Each server says once whether it started; one that did may later
	// say how it ended, hence the room for two messages each.
	started := make(chan error, 2*len(servers))
	for _, srv := range servers {
		srv.NotifyStartedFunc = func() { started <- nil }
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				started <- err
			}
		}()
	}
	shutdown := func() {
		for _, srv := range servers {
			_ = srv.Shutdown() // fails only for a server that never started
		}
	}
	var errs []error
	for range servers {
		if err := <-started; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		shutdown()
		pc.Close()
		l.Close()
		return netip.AddrPort{}, fmt.Errorf("serve dns on %s: %w", bound, errors.Join(errs...))
	}
	go func() {
		<-ctx.Done()
		shutdown()
	}()
	return bound, nil
}

// listenBoth binds UDP and TCP on the same address; for port 0 it retries
// a few times, as the port the kernel picked for UDP may be taken for TCP.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("serve dns on %s: %w", addr, err)
	}
	tries := 1
	if port == "0" {
		tries = 10
	}
	for {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("serve dns: %w", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if tries--; tries == 0 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("serve dns: %w", err)
		}
	}
}

func (s *Server) serveUDP(w dns.ResponseWriter, q *dns.Msg) {
	m := s.Answer(q)
	m.Truncate(udpSize(q))
	_ = w.WriteMsg(m) // a client gone away is no error of ours
}

func (s *Server) serveTCP(w dns.ResponseWriter, q *dns.Msg) {
	_ = w.WriteMsg(s.Answer(q))
}

// udpSize is the largest UDP reply the client of q takes: its EDNS buffer
// size, and never less than 512 octets (RFC 6891).
func udpSize(q *dns.Msg) int {
	if o := q.IsEdns0(); o != nil && o.UDPSize() > dns.MinMsgSize {
		return int(o.UDPSize())
	}
	return dns.MinMsgSize
}
