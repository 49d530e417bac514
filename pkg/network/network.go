package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/network/dns"
	"github.com/fakecluster/fakecluster/pkg/network/proxy"
)

// Pods reaches the simulated pods by address: the runtime's table of
// sandboxes, which is what a CNI plugin's routes are on a real node.
type Pods interface {
	// Connect opens a TCP connection from from to a pod that has to's
	// address (ECONNREFUSED when nothing listens on the port).
	Connect(ctx context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error)
	// Has reports whether a pod (or a hostNetwork pod's node) has ip.
	Has(ip netip.Addr) bool
}

// Config configures a Network.
type Config struct {
	// Client reads Services, EndpointSlices and Nodes.
	Client kubernetes.Interface
	// Domain is the cluster's DNS domain (--cluster-domain).
	Domain string
	// ClusterCIDRs are the pod network (--cluster-cidr): traffic from
	// them is the cluster's own, which kube-proxy does not masquerade.
	ClusterCIDRs []netip.Prefix
	// Pods reaches pods; it may be set after New with SetPods, as the
	// runtime that implements it needs the Network first.
	Pods Pods
	// APIServer is the real address the "kubernetes" Service's endpoint
	// names. It is the one host address pods may reach, so that a pod's
	// `curl https://kubernetes.default.svc` meets the API server as on a
	// real cluster; every other host address stays out of reach.
	APIServer netip.AddrPort
	// ConnectTimeout bounds a connection to an address no one owns when
	// the client set no deadline of its own (default 10 s): a real SYN
	// would be retried for two minutes, too long for a simulation.
	ConnectTimeout time.Duration
}

// Network is a running simulated network. It is safe for concurrent use.
type Network struct {
	cfg      Config
	factory  informers.SharedInformerFactory
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
	// nodeIndex is the nodes' store, with the indexes of nodeIndexers.
	nodeIndex cache.Indexer
	dns       *dns.Server
	proxy     *proxy.Table
}

// kubeDNS names the Service whose cluster IPs answer DNS, as kubeadm names
// CoreDNS's.
var kubeDNS = struct{ namespace, name string }{metav1.NamespaceSystem, "kube-dns"}

// New builds a Network; Start runs it.
func New(cfg Config) (*Network, error) {
	if cfg.Client == nil || cfg.Domain == "" {
		return nil, errors.New("network: a client and a cluster domain are required")
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	f := informers.NewSharedInformerFactory(cfg.Client, 0)
	services, slices, nodes := f.Core().V1().Services(), f.Discovery().V1().EndpointSlices(), f.Core().V1().Nodes()
	// Connections find their Service, its slices and their nodes through
	// indexes, so that one costs the same whatever the cluster holds.
	for _, x := range []struct {
		inf cache.SharedIndexInformer
		idx cache.Indexers
	}{
		{services.Informer(), proxy.ServiceIndexers()},
		{slices.Informer(), proxy.EndpointSliceIndexers()},
		{nodes.Informer(), nodeIndexers()},
	} {
		if err := x.inf.AddIndexers(x.idx); err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
	}
	n := &Network{
		cfg:       cfg,
		factory:   f,
		services:  services.Lister(),
		nodes:     nodes.Lister(),
		nodeIndex: nodes.Informer().GetIndexer(),
	}
	n.dns = dns.New(dns.Config{Domain: cfg.Domain, Services: n.services, EndpointSlices: slices.Lister(),
		Namespaces: f.Core().V1().Namespaces().Lister()})
	// The SOA serial moves on with every change, as CoreDNS's does.
	for _, inf := range []cache.SharedIndexInformer{services.Informer(), slices.Informer()} {
		if _, err := inf.AddEventHandler(n.dns.EventHandler()); err != nil {
			return nil, err
		}
	}
	n.proxy = proxy.New(proxy.Config{
		Services: n.services, EndpointSlices: slices.Lister(),
		ServiceIndex: services.Informer().GetIndexer(), EndpointSliceIndex: slices.Informer().GetIndexer(),
		NodeIPs: n.nodeIPs, ClusterCIDRs: cfg.ClusterCIDRs,
	})
	return n, nil
}

// SetPods connects the network to the pods it routes to. Call it before
// Start.
func (n *Network) SetPods(p Pods) { n.cfg.Pods = p }

// Start watches the API until ctx ends and returns once the caches are
// filled, so that the first connection already sees every Service.
func (n *Network) Start(ctx context.Context) error {
	if n.cfg.Pods == nil {
		return errors.New("network: no pods to route to")
	}
	n.factory.Start(ctx.Done())
	for typ, ok := range n.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("network: %v cache did not sync", typ)
		}
	}
	return nil
}

// Shutdown waits for the watches to end once Start's context is done.
func (n *Network) Shutdown() { n.factory.Shutdown() }

// The indexes of the nodes' store (nodeIndexers), by which a connection
// finds its nodes without listing them.
const (
	// indexNodeAddress indexes nodes by each status address that is an IP,
	// as netip.Addr.String().
	indexNodeAddress = "network.fakecluster.io/address"
	// indexPodCIDR indexes nodes by each spec.podCIDRs network, masked.
	indexPodCIDR = "network.fakecluster.io/pod-cidr"
	// indexPodCIDRLength indexes nodes by the family and length of each
	// pod CIDR, as "4/24" or "6/64": its values are the lengths to try
	// when looking an address up in indexPodCIDR.
	indexPodCIDRLength = "network.fakecluster.io/pod-cidr-length"
)

func nodeIndexers() cache.Indexers {
	return cache.Indexers{
		indexNodeAddress: func(obj any) ([]string, error) {
			node, ok := obj.(*corev1.Node)
			if !ok {
				return nil, fmt.Errorf("index %s: want a *v1.Node, got %T", indexNodeAddress, obj)
			}
			var out []string
			for _, a := range node.Status.Addresses {
				if ip, err := netip.ParseAddr(a.Address); err == nil && !slices.Contains(out, ip.String()) {
					out = append(out, ip.String())
				}
			}
			return out, nil
		},
		indexPodCIDR: func(obj any) ([]string, error) {
			node, ok := obj.(*corev1.Node)
			if !ok {
				return nil, fmt.Errorf("index %s: want a *v1.Node, got %T", indexPodCIDR, obj)
			}
			var out []string
			for _, p := range podCIDRs(node) {
				out = append(out, p.String())
			}
			return out, nil
		},
		indexPodCIDRLength: func(obj any) ([]string, error) {
			node, ok := obj.(*corev1.Node)
			if !ok {
				return nil, fmt.Errorf("index %s: want a *v1.Node, got %T", indexPodCIDRLength, obj)
			}
			var out []string
			for _, p := range podCIDRs(node) {
				if l := fmt.Sprintf("%d/%d", family(p.Addr()), p.Bits()); !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
			return out, nil
		},
	}
}

// podCIDRs are node's spec.podCIDRs that parse, masked.
func podCIDRs(node *corev1.Node) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range node.Spec.PodCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// family is 4 or 6.
func family(ip netip.Addr) int {
	if ip.Is4() {
		return 4
	}
	return 6
}

// parseCIDRLength parses an indexPodCIDRLength value.
func parseCIDRLength(s string) (fam, bits int, ok bool) {
	f, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	fam, err1 := strconv.Atoi(f)
	bits, err2 := strconv.Atoi(b)
	return fam, bits, err1 == nil && err2 == nil
}

// nodeIPs are the addresses of every node, by name: NodePorts listen on
// them.
func (n *Network) nodeIPs() map[string][]netip.Addr {
	nodes, _ := n.nodes.List(labels.Everything())
	out := make(map[string][]netip.Addr, len(nodes))
	for _, node := range nodes {
		for _, a := range node.Status.Addresses {
			if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				out[node.Name] = append(out[node.Name], ip)
			}
		}
	}
	return out
}

// nodeOf is the node an address lives on: the node it is an IP of, or the
// node whose podCIDRs hold it (the first by name if several claim it). ""
// for an address of no node.
func (n *Network) nodeOf(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	if nodes := n.nodesByIndex(indexNodeAddress, ip.String()); len(nodes) > 0 {
		return firstName(nodes)
	}
	// The pod CIDRs are indexed by their own network, so try each length
	// that some node's CIDR of the family has: one, whatever the number of
	// nodes, unless the nodes' CIDRs differ in size.
	var nodes []*corev1.Node
	for _, l := range n.nodeIndex.ListIndexFuncValues(indexPodCIDRLength) {
		fam, bits, ok := parseCIDRLength(l)
		if !ok || fam != family(ip) {
			continue
		}
		if p, err := ip.Prefix(bits); err == nil {
			nodes = append(nodes, n.nodesByIndex(indexPodCIDR, p.String())...)
		}
	}
	if len(nodes) == 0 {
		return ""
	}
	return firstName(nodes)
}

// isNodeIP reports whether ip is a node's internal or external address,
// one that NodePorts listen on.
func (n *Network) isNodeIP(ip netip.Addr) bool {
	for _, node := range n.nodesByIndex(indexNodeAddress, ip.String()) {
		for _, a := range node.Status.Addresses {
			if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
				continue
			}
			if x, err := netip.ParseAddr(a.Address); err == nil && x == ip {
				return true
			}
		}
	}
	return false
}

// nodesByIndex returns the nodes at value of one of nodeIndexers' indexes.
// The indexes exist from New on, so ByIndex cannot fail.
func (n *Network) nodesByIndex(index, value string) []*corev1.Node {
	objs, _ := n.nodeIndex.ByIndex(index, value)
	out := make([]*corev1.Node, 0, len(objs))
	for _, o := range objs {
		if node, ok := o.(*corev1.Node); ok {
			out = append(out, node)
		}
	}
	return out
}

func firstName(nodes []*corev1.Node) string {
	name := nodes[0].Name
	for _, node := range nodes[1:] {
		name = min(name, node.Name)
	}
	return name
}

// Dial connects a pod (from is its address of to's family, or invalid for
// a client outside the cluster) to to, as the runtime's Dialer. Errors
// carry the errno a real socket would get.
func (n *Network) Dial(ctx context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	logger := klog.FromContext(ctx)
	dst, src := to, from
	route, err := n.proxy.Route(from, n.nodeOf(from), to)
	switch {
	case err == nil:
		dst, src = route.Endpoint, route.Source
		logger.V(2).Info("Connection", "client", from, "service", route.Service, "address", to, "endpoint", dst)
	case errors.Is(err, proxy.ErrRefused):
		logger.V(2).Info("Connection refused", "client", from, "address", to, "reason", err)
		return nil, opError(to, syscall.ECONNREFUSED)
	case errors.Is(err, proxy.ErrDropped):
		logger.V(2).Info("Connection dropped", "client", from, "address", to, "reason", err)
		return nil, n.lost(ctx, to)
	case !errors.Is(err, proxy.ErrNoService):
		return nil, err
	}
	if n.cfg.Pods.Has(dst.Addr()) {
		conn, err := n.cfg.Pods.Connect(ctx, src, dst)
		if err == nil && route.Service.Name == "" {
			logger.V(2).Info("Connection", "client", from, "address", dst)
		}
		return conn, err
	}
	if dst == n.cfg.APIServer {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", dst.String())
	}
	if n.isNodeIP(dst.Addr()) {
		// A node answers a port no one listens on with a reset.
		return nil, opError(dst, syscall.ECONNREFUSED)
	}
	return nil, n.lost(ctx, dst)
}

// DialContext is Dial for a client outside the pods (the API server's
// pods/proxy and services/proxy), with net.Dialer's signature.
func (n *Network) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("network %q: only TCP is simulated", network)
	}
	to, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: the simulated network has no names, only addresses", addr)
	}
	return n.Dial(ctx, netip.Addr{}, to)
}

// lost waits as a client whose packets go nowhere does, until its own
// deadline or ConnectTimeout, and fails with ETIMEDOUT.
func (n *Network) lost(ctx context.Context, to netip.AddrPort) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ConnectTimeout)
		defer cancel()
	}
	<-ctx.Done()
	return opError(to, syscall.ETIMEDOUT)
}

// Ping sends one echo request from a pod, as the runtime's Pinger: pods and
// nodes answer; virtual addresses do not, as kube-proxy programs no ICMP
// for them; unowned addresses are lost.
func (n *Network) Ping(ctx context.Context, from, to netip.Addr) error {
	to = to.Unmap()
	if n.cfg.Pods.Has(to) || n.isNodeIP(to) {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ConnectTimeout)
		defer cancel()
	}
	<-ctx.Done()
	return syscall.ETIMEDOUT
}

// Exchange answers a pod's DNS query, as the runtime's Resolver: the
// kube-dns Service's addresses answer on port 53 with the cluster's
// records; any other server never replies.
func (n *Network) Exchange(ctx context.Context, server netip.AddrPort, q *mdns.Msg) (*mdns.Msg, error) {
	if server.Port() == 53 && n.isDNSAddr(server.Addr().Unmap()) {
		return n.dns.Answer(q), nil
	}
	<-ctx.Done()
	return nil, opError(server, syscall.ETIMEDOUT)
}

// isDNSAddr reports whether ip is a cluster IP of the kube-dns Service.
func (n *Network) isDNSAddr(ip netip.Addr) bool {
	svc, err := n.services.Services(kubeDNS.namespace).Get(kubeDNS.name)
	if err != nil {
		return false
	}
	for _, c := range svc.Spec.ClusterIPs {
		if c == ip.String() {
			return true
		}
	}
	return false
}

// ServeDNS serves the cluster's DNS records over UDP and TCP at addr
// (--dns-bind-address) until ctx ends, for `dig @127.0.0.1 -p PORT` from
// the host. It returns the bound address.
func (n *Network) ServeDNS(ctx context.Context, addr string) (netip.AddrPort, error) {
	return n.dns.ListenAndServe(ctx, addr)
}

func opError(to netip.AddrPort, errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(to), Err: os.NewSyscallError("connect", errno)}
}
