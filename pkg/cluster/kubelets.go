package cluster

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/kubelet"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	kubeletserver "github.com/fakecluster/fakecluster/pkg/kubelet/server"
	"github.com/fakecluster/fakecluster/pkg/network"
)

// kubeletQPS and kubeletBurst are each kubelet's client-side limits: high,
// so that many pods on one node are not throttled by their own kubelet.
const (
	kubeletQPS   = 500
	kubeletBurst = 1000
)

// nodeKernel is the kernel release the fake nodes report and their pods'
// `uname -r` prints: simulated, so that it is the same on every machine.
const nodeKernel = "6.8.0-fakecluster"

// nodeName is the name of the i'th fake node.
func nodeName(i int) string { return "worker" + strconv.Itoa(i) }

// clusterDNSIP is the kube-dns Service's cluster IP: the tenth address of
// the primary service range, as kubeadm picks it.
func clusterDNSIP(primary netip.Prefix) netip.Addr {
	a := primary.Masked().Addr()
	for range 10 {
		a = a.Next()
	}
	return a
}

// startKubelets starts opts.Nodes kubelets against the API server cfg
// reaches (at apiAddr, the one host address pods may reach), sharing one
// runtime, one simulated network and one kubelet HTTP listener, and
// creates the kube-dns Service their pods' resolv.conf names. stop
// cancels them and waits until they have stopped.
func startKubelets(ctx context.Context, cfg *rest.Config, ids *identities, opts Options, sandboxDir string, creds credentials, apiAddr netip.AddrPort) (netw *network.Network, stop func(), err error) {
	if opts.Nodes <= 0 {
		return nil, func() {}, nil
	}
	// What kubeadm sets up (the kube-dns Service) and the simulated
	// network (CoreDNS and kube-proxy, whose kubeadm-made roles the
	// bootstrap policy does not have) use the loopback identity; each
	// kubelet acts as its node.
	client, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(cfg), "fakecluster-addons"))
	if err != nil {
		return nil, nil, fmt.Errorf("addons clientset: %w", err)
	}
	kubeletCfg := rest.CopyConfig(cfg)
	kubeletCfg.QPS, kubeletCfg.Burst = kubeletQPS, kubeletBurst
	kubeletCfg = rest.AddUserAgent(kubeletCfg, "kubelet")
	dns := clusterDNSIP(opts.ServiceClusterIPRanges[0])
	if err := ensureKubeDNS(ctx, client, dns); err != nil {
		return nil, nil, err
	}
	ips, err := assignNodeIPs(ctx, client, opts)
	if err != nil {
		return nil, nil, err
	}
	var lc net.ListenConfig
	listener, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("kubelet listener: %w", err)
	}
	port := int32(listener.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(ctx)
	fail := func(err error) (*network.Network, func(), error) {
		cancel()
		_ = listener.Close()
		return nil, nil, err
	}
	netw, err = network.New(network.Config{Client: client, Domain: opts.ClusterDomain, ClusterCIDRs: opts.ClusterCIDRs, APIServer: apiAddr})
	if err != nil {
		return fail(err)
	}
	rt := runtime.New(runtime.Options{Uname: proc.Uname{Release: nodeKernel}, Dialer: netw, Resolver: netw})
	netw.SetPods(rt)
	if err := netw.Start(ctx); err != nil {
		return fail(err)
	}
	server, err := kubeletserver.New(kubeletserver.Config{CACertPEM: creds.caPEM, CAKeyPEM: creds.caKeyPEM})
	if err != nil {
		return fail(err)
	}
	capacity := kubelet.DefaultCapacity()
	for name, q := range opts.NodeCapacity {
		capacity[name] = q
	}
	var kubelets []*kubelet.Kubelet
	for i := range opts.Nodes {
		nodeClient, err := kubernetes.NewForConfig(ids.config(kubeletCfg, nodeUser(nodeName(i)).Name))
		if err != nil {
			return fail(fmt.Errorf("kubelet clientset: %w", err))
		}
		k, err := kubelet.New(kubelet.Config{
			NodeName:       nodeName(i),
			Client:         nodeClient,
			NodeIPs:        ips[i],
			Capacity:       capacity.DeepCopy(),
			Port:           port,
			SandboxDir:     sandboxDir,
			ClusterDNS:     []netip.Addr{dns},
			ClusterDomain:  opts.ClusterDomain,
			KernelVersion:  nodeKernel,
			OSImage:        "fakecluster",
			RuntimeVersion: "fakecluster://" + kubelet.KubeletVersion,
			Runtime:        rt,
		})
		if err != nil {
			return fail(err)
		}
		if err := server.AddNode(k.NodeName(), ips[i], k); err != nil {
			return fail(err)
		}
		kubelets = append(kubelets, k)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := server.Serve(ctx, listener); err != nil {
			klog.FromContext(ctx).Error(err, "Kubelet API server stopped")
		}
	})
	for _, k := range kubelets {
		wg.Go(func() {
			if err := k.Run(ctx); err != nil {
				klog.FromContext(ctx).Error(err, "Kubelet stopped", "node", k.NodeName())
			}
		})
	}
	return netw, func() { cancel(); wg.Wait(); netw.Shutdown() }, nil
}

// assignNodeIPs gives each node its InternalIPs: the ones its Node had, or
// new ones from the node ranges.
func assignNodeIPs(ctx context.Context, client kubernetes.Interface, opts Options) ([][]netip.Addr, error) {
	assigner, err := newNodeIPAssigner(opts.NodeIPRanges, opts.ClusterCIDRs, opts.LoadBalancerIPRanges)
	if err != nil {
		return nil, err
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	had := map[string][]netip.Addr{}
	for _, n := range nodes.Items {
		var addrs []netip.Addr
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && a.Type == corev1.NodeInternalIP {
				addrs = append(addrs, ip)
			}
		}
		had[n.Name] = addrs
	}
	out := make([][]netip.Addr, opts.Nodes)
	// Every node that had addresses keeps them first, whether it runs now
	// or not, so no address is handed out twice.
	for name, addrs := range had {
		kept := assigner.keep(addrs)
		for i := range opts.Nodes {
			if nodeName(i) == name {
				out[i] = kept
			}
		}
	}
	for i := range out {
		if out[i] == nil {
			if out[i], err = assigner.next(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// ensureKubeDNS creates kube-system/kube-dns as kubeadm's CoreDNS addon
// does, on the cluster DNS address, if it is missing.
func ensureKubeDNS(ctx context.Context, client kubernetes.Interface, ip netip.Addr) error {
	// Look first: creating it again would fail on its IP before its name.
	if _, err := client.CoreV1().Services(metav1.NamespaceSystem).Get(ctx, "kube-dns", metav1.GetOptions{}); err == nil {
		return nil
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kube-dns", Namespace: metav1.NamespaceSystem,
			Labels:      map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
			Annotations: map[string]string{"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
		},
		Spec: corev1.ServiceSpec{
			Selector:  map[string]string{"k8s-app": "kube-dns"},
			ClusterIP: ip.String(),
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
				{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(9153)},
			},
		},
	}
	_, err := client.CoreV1().Services(metav1.NamespaceSystem).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the kube-dns service: %w", err)
	}
	return nil
}
