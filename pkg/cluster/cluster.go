package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/apiserver"
	"github.com/fakecluster/fakecluster/pkg/network"
	"github.com/fakecluster/fakecluster/pkg/storage"
)

// StorageFile is the name of the bbolt database inside the data dir.
const StorageFile = "fakecluster.db"

// Options say where a cluster keeps its state, where it listens and what
// its networks are. The zero value of each network field means its default
// (DefaultServiceClusterIPRanges and the like). Start checks only what it
// uses; cmd/fakecluster validates every field, with the flags' rules.
type Options struct {
	// DataDir holds the cluster's state. It is created with mode 0700 if
	// missing, and a later Start on the same DataDir finds the same state.
	DataDir string
	// Kubeconfig is where the admin kubeconfig is written (mode 0600).
	// Empty means <DataDir>/kubeconfig.
	Kubeconfig string
	// BindAddress is the IP address to serve on. Empty means 127.0.0.1;
	// 0.0.0.0 or :: serve on every interface.
	BindAddress string
	// SecurePort is the HTTPS port. 0 picks any free port; Addr tells which.
	SecurePort int

	// ServiceClusterIPRanges are the service ranges
	// (--service-cluster-ip-range): one or two prefixes of different IP
	// families, the primary first. They become the "kubernetes"
	// ServiceCIDR, Services take their cluster IPs from it (each recorded
	// as an IPAddress), and default/kubernetes takes the first address of
	// the primary range. As in kube-apiserver, a later Start with other
	// ranges keeps the existing ServiceCIDR (and records a Warning event),
	// except that a second range of the other family behind the same
	// primary makes it dual-stack.
	ServiceClusterIPRanges []netip.Prefix
	// ClusterCIDRs are the pod network (--cluster-cidr): one or two
	// prefixes of different IP families. The node IPAM controller gives
	// each Node one CIDR of each, in this order (spec.podCIDRs).
	ClusterCIDRs []netip.Prefix
	// NodeCIDRMaskSizeIPv4 and NodeCIDRMaskSizeIPv6 are the prefix lengths
	// of each node's pod CIDR of that family (--node-cidr-mask-size-ipv4,
	// --node-cidr-mask-size-ipv6).
	NodeCIDRMaskSizeIPv4, NodeCIDRMaskSizeIPv6 int
	// ServiceNodePortRange is the NodePort range (--service-node-port-range):
	// NodePort and LoadBalancer Services take their node ports, and
	// LoadBalancers with externalTrafficPolicy Local their health check
	// node port, from it.
	ServiceNodePortRange allocator.PortRange
	// LoadBalancerIPRanges are where LoadBalancer Services take their
	// ingress IPs (--load-balancer-ip-range): one or two prefixes of
	// different IP families. The LoadBalancer controller gives each
	// LoadBalancer Service one ingress IP per family in spec.ipFamilies.
	LoadBalancerIPRanges []netip.Prefix

	// Nodes is how many fake nodes run (--nodes), named worker0 to
	// worker{N-1}, each with its kubelet. 0 means one; NoNodes none.
	Nodes int
	// NodeIPRanges are the simulated node network (--node-ip-range): one
	// prefix per family of ClusterCIDRs. Each node gets the lowest free
	// address of each after the first (the network's gateway), never one
	// of LoadBalancerIPRanges, and keeps it across restarts.
	NodeIPRanges []netip.Prefix
	// NodeCapacity is what each node offers (--node-capacity): its
	// entries replace those of kubelet.DefaultCapacity() (cpu 4, memory
	// 16393452Ki, ephemeral-storage 102626232Ki, pods 110), and
	// allocatable is capacity less the kubelet's default 100Mi memory
	// eviction threshold. Nil keeps the defaults.
	NodeCapacity corev1.ResourceList
	// SandboxDir is where kubelets write their nodes' and pods' files
	// (--sandbox-dir): <SandboxDir>/<node>/pods/<uid>/… and
	// <SandboxDir>/<node>/logs/pods/…. Empty means <DataDir>/sandbox.
	SandboxDir string
	// ClusterDomain is the DNS domain of Services and pods
	// (--cluster-domain); empty means cluster.local.
	ClusterDomain string
	// DNSBindAddress, if set, serves the cluster's DNS records over UDP
	// and TCP at this host:port (--dns-bind-address; port 0 picks a free
	// one, see Cluster.DNSAddr), so the host can `dig @127.0.0.1 -p PORT`.
	// It needs nodes, whose network the records describe.
	DNSBindAddress string

	// NodeMonitorGracePeriod is how long a node may go without renewing
	// its Lease before node-lifecycle-controller marks it Unknown and
	// taints it unreachable (--node-monitor-grace-period, as
	// kube-controller-manager's); 0 means its default, 50s.
	NodeMonitorGracePeriod time.Duration

	// Controllers says which controllers run (--controllers), with
	// kube-controller-manager's rules: "*" is every controller, "name"
	// enables one and "-name" disables one; nil means "*" and an empty
	// non-nil list (NoControllers()) runs none. ControllerNames
	// lists the names; ValidateControllers checks a list. A test that
	// drives a controller itself disables the cluster's own.
	Controllers []string

	// AuthorizationModes are the API server's authorization modes
	// (--authorization-mode), in order: Node, RBAC, AlwaysAllow
	// (apiserver.ModeNode and the like). Nil means Node,RBAC, as
	// kube-apiserver's default; Node has no opinion yet. Members of
	// system:masters, as the admin credential and every in-process
	// component are, are always allowed.
	AuthorizationModes []string
}

// NoNodes is the Nodes value that runs no node and no kubelet.
const NoNodes = -1

// NoControllers returns a Controllers list that runs no controller, for
// tests of the API server alone or of a controller they drive themselves.
func NoControllers() []string { return []string{} }

// Cluster is a running fakecluster. Start makes one; Stop ends it.
type Cluster struct {
	dataDir    string
	kubeconfig string
	addr       string
	logger     klog.Logger
	db         *storage.DB
	api        *apiserver.Server

	// stopControllers stops the controllers and waits for them;
	// stopKubelets likewise the kubelets.
	stopControllers func()
	stopKubelets    func()
	network         *network.Network
	dnsAddr         netip.AddrPort
	sandboxDir      string
	// cancel stops the API server; served is closed when it has stopped,
	// with serveErr set first if it failed.
	cancel   context.CancelFunc
	served   chan struct{}
	serveErr error

	stopOnce sync.Once
	stopErr  error
}

// Start opens the cluster's storage in opts.DataDir, serves the Kubernetes
// API on opts.BindAddress:opts.SecurePort, writes the admin kubeconfig and
// returns once the API server is ready. ctx carries the logger; cancelling
// it does not stop the cluster, Stop does.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logger := klog.FromContext(ctx)
	opts = opts.withDefaults()
	if opts.DataDir == "" {
		return nil, errors.New("no data dir given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %q: %w", opts.DataDir, err)
	}
	kubeconfig := opts.Kubeconfig
	if kubeconfig == "" {
		kubeconfig = filepath.Join(dataDir, "kubeconfig")
	}
	if _, err := allocator.NewIPRanges(opts.ServiceClusterIPRanges, nil); err != nil {
		return nil, fmt.Errorf("service cluster IP ranges: %w", err)
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
	undo = append(undo, func() error {
		if err := listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fail(fmt.Errorf("create data dir: %w", err))
	}
	db, err := storage.Open(filepath.Join(dataDir, StorageFile), storage.Options{})
	if err != nil {
		return fail(fmt.Errorf("open storage: %w", err))
	}
	undo = append(undo, db.Close)

	addr := dialAddr(bind, listener.Addr().(*net.TCPAddr).Port)
	dial, _ := netip.ParseAddrPort(addr)
	creds, err := loadOrCreateCredentials(dataDir, dial.Addr())
	if err != nil {
		return fail(fmt.Errorf("credentials: %w", err))
	}
	// The API server reaches pods through the simulated network, which
	// starts with the kubelets, after it.
	podNet := &lateNetwork{}
	ids := newIdentities(opts)
	api, err := apiserver.New(apiserver.Config{
		DB:             db,
		Listener:       listener,
		ServingCertPEM: creds.servingCertPEM,
		ServingKeyPEM:  creds.servingKeyPEM,
		CAPEM:          creds.caPEM,
		Token:          creds.token,
		DialAddress:    addr,
		ServiceCIDRs:   opts.ServiceClusterIPRanges,

		ServiceNodePortRange: opts.ServiceNodePortRange,

		ServiceAccountKey: creds.serviceAccountKey,

		KubeletClientCertPEM: creds.kubeletClientCertPEM,
		KubeletClientKeyPEM:  creds.kubeletClientKeyPEM,

		PodDialer: podNet.dial,

		AuthorizationModes: opts.AuthorizationModes,
		ComponentTokens:    ids.tokens,
	})
	if err != nil {
		return fail(err)
	}
	c := &Cluster{
		dataDir:    dataDir,
		kubeconfig: kubeconfig,
		addr:       addr,
		logger:     logger,
		db:         db,
		api:        api,
		served:     make(chan struct{}),
	}
	runCtx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	c.cancel = cancel
	go func() {
		defer close(c.served)
		if err := api.Run(runCtx); err != nil {
			c.serveErr = err
			logger.Error(err, "API server stopped")
		}
	}()
	undo = append(undo, func() error { cancel(); <-c.served; return c.serveErr })
	if err := c.waitReady(ctx); err != nil {
		return fail(err)
	}
	if c.stopControllers, err = startControllers(runCtx, api.LoopbackConfig(), ids, opts, creds.caPEM); err != nil {
		return fail(fmt.Errorf("start controllers: %w", err))
	}
	undo = append(undo, func() error { c.stopControllers(); return nil })
	sandboxDir := opts.SandboxDir
	if sandboxDir == "" {
		sandboxDir = filepath.Join(dataDir, "sandbox")
	}
	if c.network, c.stopKubelets, err = startKubelets(runCtx, api.LoopbackConfig(), ids, opts, sandboxDir, creds, dial); err != nil {
		return fail(fmt.Errorf("start kubelets: %w", err))
	}
	c.sandboxDir = sandboxDir
	podNet.set(c.network)
	if opts.DNSBindAddress != "" {
		if c.network == nil {
			return fail(errors.New("--dns-bind-address needs nodes: with no nodes there is no cluster network to serve"))
		}
		if c.dnsAddr, err = c.network.ServeDNS(runCtx, opts.DNSBindAddress); err != nil {
			return fail(fmt.Errorf("serve DNS: %w", err))
		}
	}
	undo = append(undo, func() error { c.stopKubelets(); return nil })
	if err := writeKubeconfig(kubeconfig, "https://"+addr, creds); err != nil {
		return fail(fmt.Errorf("write kubeconfig: %w", err))
	}
	logger.V(2).Info("Cluster started", "addr", c.addr, "dataDir", dataDir, "revision", db.Revision())
	return c, nil
}

// waitReady polls /readyz until the API server says ready.
func (c *Cluster) waitReady(ctx context.Context) error {
	client, err := rest.HTTPClientFor(c.api.LoopbackConfig())
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+c.addr+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.served:
			return fmt.Errorf("API server stopped before it was ready: %v", c.serveErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("API server not ready after a minute")
		}
	}
}

// Stop stops the controllers, then the API server, letting requests in
// flight finish, then closes storage, last, so nothing can still be using
// it. It is safe to call more than once and from several goroutines; every
// call returns the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		c.stopKubelets()
		c.stopControllers()
		c.cancel()
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

// RESTConfig is a client config with full access to the cluster, for
// client-go in tests and in-process components.
func (c *Cluster) RESTConfig() *rest.Config { return c.api.LoopbackConfig() }

// Kubeconfig is the path of the admin kubeconfig Start wrote.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// Addr is the host:port clients dial: the bind address (its family's loopback
// address when bound to every interface) and the port actually listened on.
func (c *Cluster) Addr() string { return c.addr }

// SandboxDir is where the cluster's kubelets write their nodes' files.
func (c *Cluster) SandboxDir() string { return c.sandboxDir }

// DNSAddr is where the cluster's DNS records are served on the host
// (Options.DNSBindAddress); invalid when they are not.
func (c *Cluster) DNSAddr() netip.AddrPort { return c.dnsAddr }

// lateNetwork is the simulated network for a caller built before it: it
// dials through the network once set, and fails before.
type lateNetwork struct {
	n atomic.Pointer[network.Network]
}

func (l *lateNetwork) set(n *network.Network) {
	if n != nil {
		l.n.Store(n)
	}
}

func (l *lateNetwork) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n := l.n.Load()
	if n == nil {
		return nil, fmt.Errorf("dial %s: the cluster has no nodes, so no pod network", addr)
	}
	return n.DialContext(ctx, network, addr)
}

// DataDir is the absolute path of the directory holding the cluster's state.
func (c *Cluster) DataDir() string { return c.dataDir }

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
