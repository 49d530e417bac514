package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Config is what a Server needs; New fills the defaults.
type Config struct {
	// CACertPEM and CAKeyPEM are the cluster CA in PEM: it signs each node's serving
	// certificate and verifies callers' client certificates.
	CACertPEM, CAKeyPEM []byte
	// ClientCN is the common name of the only client certificate allowed, the API
	// server's; empty means APIServerClientCN.
	ClientCN string
	// Token, if set, is a bearer token that authenticates as the API server too.
	Token string
	// Clock times certificates, their checks and logs' sinceSeconds; nil is the real one.
	Clock clock.PassiveClock
	// StreamIdleTimeout ends an exec, attach or port-forward connection idle this long;
	// 0 means the kubelet's default, 4h.
	StreamIdleTimeout time.Duration
	// StreamCreationTimeout is how long a SPDY client may take to open its streams; 0
	// means 30s, as the kubelet.
	StreamCreationTimeout time.Duration
}

// Server is the kubelet HTTP API of every node of a process, on one listener.
type Server struct {
	ca                    *authority
	clientCN, token       string
	clock                 clock.PassiveClock
	idleTimeout, creation time.Duration

	mu    sync.RWMutex
	nodes map[string]*node
	// fallback is the certificate for clients that name no served node in TLS, as a
	// client dialing an address sends no name: valid for loopback and every node's
	// InternalIPs.
	fallback *tls.Certificate
}

// node is one node the server serves.
type node struct {
	name     string
	ips      []netip.Addr
	provider Provider
	cert     *tls.Certificate
	handler  http.Handler
}

// New returns a server for cfg, serving no node yet.
func New(cfg Config) (*Server, error) {
	ca, err := parseAuthority(cfg.CACertPEM, cfg.CAKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("kubelet server: %w", err)
	}
	s := &Server{
		ca: ca, clientCN: cfg.ClientCN, token: cfg.Token, clock: cfg.Clock,
		idleTimeout: cfg.StreamIdleTimeout, creation: cfg.StreamCreationTimeout,
		nodes: map[string]*node{},
	}
	if s.clientCN == "" {
		s.clientCN = APIServerClientCN
	}
	if s.clock == nil {
		s.clock = clock.RealClock{}
	}
	if s.idleTimeout <= 0 {
		s.idleTimeout = 4 * time.Hour
	}
	if s.creation <= 0 {
		s.creation = 30 * time.Second
	}
	if err := s.reissueFallback(); err != nil {
		return nil, err
	}
	return s, nil
}

// AddNode serves node name, whose simulated InternalIPs are ips, from p: it issues the
// node's serving certificate (for the name, ips and loopback). Adding a served node again
// replaces it.
func (s *Server) AddNode(name string, ips []netip.Addr, p Provider) error {
	name = normalizeHost(name)
	if name == "" || p == nil {
		return errors.New("kubelet server: a node needs a name and a provider")
	}
	cert, err := s.ca.issue(name, ips, s.clock.Now())
	if err != nil {
		return fmt.Errorf("kubelet server: node %s: %w", name, err)
	}
	n := &node{name: name, ips: append([]netip.Addr(nil), ips...), provider: p, cert: cert}
	n.handler = s.routes(n)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[name] = n
	return s.reissueFallback()
}

// RemoveNode stops serving node name; streams already open go on until they end.
func (s *Server) RemoveNode(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, normalizeHost(name))
	// Should issuing fail, the previous fallback certificate stays: valid for more
	// addresses than needed, which harms no one.
	_ = s.reissueFallback()
}

// reissueFallback issues the fallback certificate for the nodes now served; s.mu is held.
func (s *Server) reissueFallback() error {
	var ips []netip.Addr
	for _, n := range s.nodes {
		ips = append(ips, n.ips...)
	}
	cert, err := s.ca.issue("", ips, s.clock.Now())
	if err != nil {
		return fmt.Errorf("kubelet server: %w", err)
	}
	s.fallback = cert
	return nil
}

// TLSConfig is the server's TLS configuration: TLS 1.2 with ECDHE AEAD suites or TLS 1.3,
// the node's certificate by server name, client certificates requested (and checked by
// the handler, so that a bad one is the kubelet's 401 rather than a failed handshake).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   cipherSuites(),
		ClientAuth:     tls.RequestClientCert,
		GetCertificate: s.certificate,
		NextProtos:     []string{"http/1.1"},
	}
}

// Serve serves HTTPS on l until ctx ends; requests, and the streams they opened, end with
// ctx. It returns nil once ctx has ended.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	logger := klog.FromContext(ctx)
	srv := &http.Server{
		Handler:           s,
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    1 << 20,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// Streams upgrade HTTP/1.1 connections; an empty map turns HTTP/2 off.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Failed handshakes of probing clients are not the operator's news.
		ErrorLog: log.New(logWriter{logger}, "", 0),
	}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	err := srv.Serve(tls.NewListener(l, srv.TLSConfig))
	if ctx.Err() != nil && (errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	return fmt.Errorf("kubelet server: %w", err)
}

type logWriter struct{ logger klog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.V(4).Info("Kubelet server", "message", strings.TrimSpace(string(p)))
	return len(p), nil
}

func (s *Server) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n, ok := s.nodes[normalizeHost(hello.ServerName)]; ok {
		return n.cert, nil
	}
	return s.fallback, nil
}

// ServeHTTP authenticates and authorizes the caller as the kubelet does, then serves the
// request for the node it names.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if user != s.clientCN {
		klog.FromContext(r.Context()).V(2).Info("Forbidden", "user", user, "verb", apiVerb(r.Method), "path", r.URL.Path)
		writeError(w, http.StatusForbidden, forbidden(user, r))
		return
	}
	n, ok := s.nodeFor(r)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("node %q is not served here", normalizeHost(hostOnly(r.Host))))
		return
	}
	n.handler.ServeHTTP(w, r)
}

// nodeFor is the node a request is for: the one its host names (as kube-apiserver's
// https://<node>:<port>/ URLs do) or whose InternalIP it is; for a loopback or unknown
// host, the node the TLS server name names, or the only node.
func (s *Server) nodeFor(r *http.Request) (*node, bool) {
	host := normalizeHost(hostOnly(r.Host))
	s.mu.RLock()
	defer s.mu.RUnlock()
	if n, ok := s.nodes[host]; ok {
		return n, true
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		for _, n := range s.nodes {
			for _, nip := range n.ips {
				if nip.Unmap() == ip {
					return n, true
				}
			}
		}
		if !ip.IsLoopback() {
			return nil, false
		}
	} else if host != "" {
		return nil, false
	}
	if r.TLS != nil {
		if n, ok := s.nodes[normalizeHost(r.TLS.ServerName)]; ok {
			return n, true
		}
	}
	if len(s.nodes) == 1 {
		for _, n := range s.nodes {
			return n, true
		}
	}
	return nil, false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

func normalizeHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// writeError writes a plain-text error as the kubelet's restful responses do: the text,
// with no newline after it.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}
