package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/util/cert"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/storage"
)

// StorageFile is the name of the bbolt database inside the data dir.
const StorageFile = "fakecluster.db"

// shutdownTimeout bounds how long Stop waits for requests in flight before it
// drops their connections.
const shutdownTimeout = 5 * time.Second

// Options say where a cluster keeps its state and where it listens.
type Options struct {
	// DataDir holds the cluster's state. It is created with mode 0700 if
	// missing, and a later Start on the same DataDir finds the same state.
	DataDir string
	// BindAddress is the IP address to serve on. Empty means 127.0.0.1;
	// 0.0.0.0 or :: serve on every interface.
	BindAddress string
	// SecurePort is the HTTPS port. 0 picks any free port; Addr tells which.
	SecurePort int
}

// Cluster is a running fakecluster. Start makes one; Stop ends it.
type Cluster struct {
	dataDir string
	addr    string
	logger  klog.Logger
	db      *storage.DB
	server  *http.Server

	// stopping turns /readyz to failing once Stop has begun.
	stopping atomic.Bool
	// served is closed when the server's Serve call returns, with serveErr
	// set first if it failed for any reason other than Stop.
	served   chan struct{}
	serveErr error

	stopOnce sync.Once
	stopErr  error
}

// Start opens the cluster's storage in opts.DataDir and serves on
// opts.BindAddress:opts.SecurePort until Stop is called. ctx carries the
// logger; cancelling it does not stop the cluster, Stop does.
//
// The server speaks HTTPS with a self-signed certificate made in memory on
// every start, and answers only /livez, /readyz and /healthz. The next release
// replaces it with the Kubernetes API server, serving with a CA and a serving
// certificate generated into the data dir and kept across restarts.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logger := klog.FromContext(ctx)
	if opts.DataDir == "" {
		return nil, errors.New("no data dir given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %q: %w", opts.DataDir, err)
	}
	bind := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	if opts.BindAddress != "" {
		if bind, err = netip.ParseAddr(opts.BindAddress); err != nil {
			return nil, fmt.Errorf("parse bind address: %w", err)
		}
	}

	// fail undoes what was set up so far, newest first.
	var undo []func() error
	fail := func(err error) (*Cluster, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			err = errors.Join(err, undo[i]())
		}
		return nil, err
	}

	// Listen first: a busy port is the likeliest failure, and it should not
	// leave a data dir behind.
	var lc net.ListenConfig
	listener, err := lc.Listen(ctx, "tcp", net.JoinHostPort(bind.String(), strconv.Itoa(opts.SecurePort)))
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	undo = append(undo, listener.Close)

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fail(fmt.Errorf("create data dir: %w", err))
	}
	db, err := storage.Open(filepath.Join(dataDir, StorageFile), storage.Options{})
	if err != nil {
		return fail(fmt.Errorf("open storage: %w", err))
	}
	undo = append(undo, db.Close)

	tlsConfig, err := selfSignedTLS(bind)
	if err != nil {
		return fail(fmt.Errorf("make serving certificate: %w", err))
	}

	c := &Cluster{
		dataDir: dataDir,
		addr:    dialAddr(bind, listener.Addr().(*net.TCPAddr).Port),
		logger:  logger,
		db:      db,
		served:  make(chan struct{}),
	}
	c.server = &http.Server{
		Handler:           c.routes(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(logWriter{logger}, "", 0),
	}
	go func() {
		defer close(c.served)
		// ServeTLS rather than a tls.Listener, so HTTP/2 is offered as
		// kube-apiserver offers it.
		if err := c.server.ServeTLS(listener, "", ""); !errors.Is(err, http.ErrServerClosed) {
			c.serveErr = err
			logger.Error(err, "Serving stopped")
		}
	}()
	logger.V(2).Info("Cluster started", "addr", c.addr, "dataDir", dataDir, "revision", db.Revision())
	return c, nil
}

// Stop stops serving, waiting up to a few seconds for requests in flight, then
// closes storage, last, so nothing can still be using it. It is safe to call
// more than once and from several goroutines; every call returns the first
// call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.stopping.Store(true)
		var errs []error
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := c.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down server: %w", err))
			errs = append(errs, c.server.Close())
		}
		<-c.served
		if c.serveErr != nil {
			errs = append(errs, fmt.Errorf("serve: %w", c.serveErr))
		}
		if err := c.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close storage: %w", err))
		}
		c.stopErr = errors.Join(errs...)
		c.logger.V(2).Info("Cluster stopped", "dataDir", c.dataDir)
	})
	return c.stopErr
}

// Addr is the host:port clients dial: the bind address (its family's loopback
// address when bound to every interface) and the port actually listened on.
func (c *Cluster) Addr() string { return c.addr }

// DataDir is the absolute path of the directory holding the cluster's state.
func (c *Cluster) DataDir() string { return c.dataDir }

// routes serves the health endpoints the way kube-apiserver names them, so
// probes and scripts written for a real cluster work unchanged.
func (c *Cluster) routes() http.Handler {
	ok := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "ok")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", ok)
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if c.stopping.Load() {
			http.Error(w, "shutting down", http.StatusInternalServerError)
			return
		}
		ok(w, r)
	})
	return mux
}

// selfSignedTLS makes a throw-away serving certificate valid for localhost and
// the address clients dial.
func selfSignedTLS(bind netip.Addr) (*tls.Config, error) {
	ips := []net.IP{bind.AsSlice()}
	if bind.IsUnspecified() {
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("localhost", ips, nil)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// dialAddr is where a client reaches a server bound to bind:port.
func dialAddr(bind netip.Addr, port int) string {
	host := bind
	if bind.IsUnspecified() && bind.Is4() {
		host = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	} else if bind.IsUnspecified() {
		host = netip.IPv6Loopback()
	}
	return net.JoinHostPort(host.String(), strconv.Itoa(port))
}

// logWriter carries net/http's own complaints into the cluster's logger
// instead of the process-wide log package. Failed TLS handshakes are routine
// (a client that does not trust the certificate) and stay at V(4); anything
// else, such as a handler panic, is an error.
type logWriter struct{ logger klog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		w.logger.V(4).Info("HTTP server", "msg", msg)
	} else {
		w.logger.Error(nil, "HTTP server", "msg", msg)
	}
	return len(p), nil
}
