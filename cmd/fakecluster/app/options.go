package app

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fakecluster/fakecluster/pkg/apiserver"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle"
)

// Options are what the command line sets; Complete fills in what it left out.
type Options struct {
	DataDir     string
	Kubeconfig  string
	BindAddress string
	SecurePort  int
	// Verbosity is klog's -v.
	Verbosity int
	// Controllers are the controllers to run, as kube-controller-manager's
	// --controllers takes them.
	Controllers []string
	// Nodes is --nodes: how many fake nodes run; 0 runs none.
	Nodes int
	// SandboxDir is --sandbox-dir, where kubelets write pod files.
	SandboxDir string
	// NodeCapacity is --node-capacity: name=quantity pairs.
	NodeCapacity []string
	// NodeMonitorGracePeriod is --node-monitor-grace-period.
	NodeMonitorGracePeriod time.Duration
	// AuthorizationModes is --authorization-mode, as kube-apiserver's.
	AuthorizationModes []string
	networkOptions

	// securePortText and verbosityText hold what was given to those flags
	// when it was not a whole number. Parsing leniently lets Validate report
	// a bad number together with every other problem, instead of the flag
	// parser stopping at the first.
	securePortText, verbosityText, nodesText string
}

// NewOptions returns the defaults that do not depend on the environment;
// Complete fills in the rest.
func NewOptions() *Options {
	return &Options{BindAddress: "127.0.0.1", SecurePort: 6443, Controllers: []string{"*"}, AuthorizationModes: apiserver.DefaultAuthorizationModes(), networkOptions: networkOptions{
		ServiceClusterIPRange: joinPrefixes(cluster.DefaultServiceClusterIPRanges()),
		ClusterCIDR:           joinPrefixes(cluster.DefaultClusterCIDRs()),
		ServiceNodePortRange:  cluster.DefaultServiceNodePortRange().String(),
		LoadBalancerIPRange:   joinPrefixes(cluster.DefaultLoadBalancerIPRanges()),
		NodeIPRange:           joinPrefixes(cluster.DefaultNodeIPRanges()),
		ClusterDomain:         cluster.DefaultClusterDomain,
	}, Nodes: 1, NodeMonitorGracePeriod: nodelifecycle.DefaultNodeMonitorGracePeriod}
}

// AddFlags binds the options to fs. Flag names follow kube-apiserver's.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir,
		"directory for the cluster's state, created with mode 0700 (default $XDG_STATE_HOME/fakecluster, or ~/.local/state/fakecluster)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig,
		"where to write the admin kubeconfig, mode 0600 (default <data-dir>/kubeconfig)")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress,
		"IP address to serve HTTPS on; 0.0.0.0 or :: serves on every interface")
	fs.Var(lenientInt{&o.SecurePort, &o.securePortText}, "secure-port",
		"port to serve HTTPS on; 0 picks any free port (the start-up line says which)")
	fs.VarP(lenientInt{&o.Verbosity, &o.verbosityText}, "v", "v",
		"log verbosity: 0 logs only problems, 2 adds state changes, 4 adds per-connection detail")

	fs.StringSliceVar(&o.AuthorizationModes, "authorization-mode", o.AuthorizationModes,
		"authorization modes, in order, as kube-apiserver's: Node, RBAC, AlwaysAllow (Node has no opinion yet; system:masters is always allowed)")
	fs.StringSliceVar(&o.Controllers, "controllers", o.Controllers,
		"controllers to run: '*' is all, 'name' enables one, '-name' disables one; names: "+strings.Join(cluster.ControllerNames(), ", "))

	// Flag names follow kube-apiserver's and kube-controller-manager's.
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange,
		"Service cluster IPs: one CIDR, or one IPv4 and one IPv6 CIDR; the first is the primary family")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR,
		"pod network: one CIDR, or one IPv4 and one IPv6 CIDR; each Node gets a pod CIDR of each")
	fs.Var(lenientInt{&o.NodeCIDRMaskSizeIPv4, &o.nodeCIDRMaskSizeIPv4Text}, "node-cidr-mask-size-ipv4",
		fmt.Sprintf("prefix length of each node's IPv4 pod CIDR (default %d)", cluster.DefaultNodeCIDRMaskSizeIPv4))
	fs.Var(lenientInt{&o.NodeCIDRMaskSizeIPv6, &o.nodeCIDRMaskSizeIPv6Text}, "node-cidr-mask-size-ipv6",
		fmt.Sprintf("prefix length of each node's IPv6 pod CIDR (default %d)", cluster.DefaultNodeCIDRMaskSizeIPv6))
	fs.StringVar(&o.ServiceNodePortRange, "service-node-port-range", o.ServiceNodePortRange,
		"NodePort range NodePort and LoadBalancer Services take node ports from, first-last inclusive")
	fs.StringVar(&o.LoadBalancerIPRange, "load-balancer-ip-range", o.LoadBalancerIPRange,
		"LoadBalancer ingress IPs: one CIDR, or one IPv4 and one IPv6 CIDR")

	fs.Var(lenientInt{&o.Nodes, &o.nodesText}, "nodes",
		"how many fake nodes run, named worker0 to worker{N-1}, each with a kubelet; 0 runs none")
	fs.StringVar(&o.NodeIPRange, "node-ip-range", o.NodeIPRange,
		"simulated node InternalIPs: one CIDR per family of --cluster-cidr; nodes take the lowest free address after the gateway")
	fs.StringSliceVar(&o.NodeCapacity, "node-capacity", o.NodeCapacity,
		"what each node offers, as name=quantity pairs that replace the defaults (cpu=4,memory=16393452Ki,ephemeral-storage=102626232Ki,pods=110), e.g. cpu=16,memory=64Gi,nvidia.com/gpu=2")
	fs.DurationVar(&o.NodeMonitorGracePeriod, "node-monitor-grace-period", o.NodeMonitorGracePeriod,
		"how long a node may go without renewing its Lease before it is marked Unknown and tainted unreachable, as kube-controller-manager's flag; kubelets renew every 10s, so keep it longer")
	fs.StringVar(&o.SandboxDir, "sandbox-dir", o.SandboxDir,
		"where kubelets write their nodes' pod files and logs (default <data-dir>/sandbox)")
	fs.StringVar(&o.ClusterDomain, "cluster-domain", o.ClusterDomain,
		"DNS domain of Services and pods, as in the pods' resolv.conf search list")
	fs.StringVar(&o.DNSBindAddress, "dns-bind-address", o.DNSBindAddress,
		"also serve the cluster's DNS records over UDP and TCP at this address:port on the host, e.g. 127.0.0.1:5353 (0 picks a free port; off by default)")
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Complete fills in the defaults that depend on the environment and makes the
// data dir absolute, so that what the start-up line prints is where the data
// is whatever the working directory.
func (o *Options) Complete() { o.complete(os.Getenv) }

func (o *Options) complete(getenv func(string) string) {
	if o.DataDir == "" {
		o.DataDir = defaultDataDir(getenv)
	}
	if o.DataDir != "" && !filepath.IsAbs(o.DataDir) {
		// Abs fails only when the working directory is gone; the relative
		// path then still names the same place for this process.
		if abs, err := filepath.Abs(o.DataDir); err == nil {
			o.DataDir = abs
		}
	}
	if o.Kubeconfig == "" && o.DataDir != "" {
		o.Kubeconfig = filepath.Join(o.DataDir, "kubeconfig")
	}
	if abs, err := filepath.Abs(o.Kubeconfig); err == nil && o.Kubeconfig != "" {
		o.Kubeconfig = abs
	}
	if o.SandboxDir == "" && o.DataDir != "" {
		o.SandboxDir = filepath.Join(o.DataDir, "sandbox")
	}
	if abs, err := filepath.Abs(o.SandboxDir); err == nil && o.SandboxDir != "" {
		o.SandboxDir = abs
	}
}

// defaultDataDir follows the XDG base directory spec: $XDG_STATE_HOME if it
// is set and absolute, else ~/.local/state. It returns "" when neither can be
// found, which Validate reports.
func defaultDataDir(getenv func(string) string) string {
	if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "fakecluster")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "fakecluster")
	}
	return ""
}

// Validate returns every problem with the options at once, as an aggregate,
// each naming the flag and what it allows. Call it after Complete.
func (o *Options) Validate() error {
	var errs []error
	switch info, err := os.Stat(o.DataDir); {
	case o.DataDir == "":
		errs = append(errs, errors.New("missing --data-dir: there is no default when neither $XDG_STATE_HOME nor $HOME is set"))
	case err == nil && !info.IsDir():
		errs = append(errs, invalid(o.DataDir, "--data-dir", "must be a directory, or a path where one can be created; this is a file"))
	}
	if info, err := os.Stat(o.Kubeconfig); err == nil && info.IsDir() {
		errs = append(errs, invalid(o.Kubeconfig, "--kubeconfig", "must be a file path, where the kubeconfig is written; this is a directory"))
	}
	if _, err := netip.ParseAddr(o.BindAddress); err != nil {
		errs = append(errs, invalid(o.BindAddress, "--bind-address", "must be an IP address such as 127.0.0.1 or ::1"))
	}
	const portRule = "must be a port number from 0 to 65535 (0 picks any free port)"
	if o.securePortText != "" {
		errs = append(errs, invalid(o.securePortText, "--secure-port", portRule))
	} else if o.SecurePort < 0 || o.SecurePort > 65535 {
		errs = append(errs, invalid(strconv.Itoa(o.SecurePort), "--secure-port", portRule))
	}
	const verbosityRule = "must be a whole number, 0 or more"
	if o.verbosityText != "" {
		errs = append(errs, invalid(o.verbosityText, "-v", verbosityRule))
	} else if o.Verbosity < 0 {
		errs = append(errs, invalid(strconv.Itoa(o.Verbosity), "-v", verbosityRule))
	}
	const nodesRule = "must be a whole number, 0 or more (0 runs no node)"
	if o.nodesText != "" {
		errs = append(errs, invalid(o.nodesText, "--nodes", nodesRule))
	} else if o.Nodes < 0 {
		errs = append(errs, invalid(strconv.Itoa(o.Nodes), "--nodes", nodesRule))
	} else if o.Nodes == 0 && o.DNSBindAddress != "" {
		errs = append(errs, errors.New("--dns-bind-address needs nodes: with --nodes 0 there is no cluster network whose records it would serve; drop one of the two"))
	}
	if info, err := os.Stat(o.SandboxDir); o.SandboxDir != "" && err == nil && !info.IsDir() {
		errs = append(errs, invalid(o.SandboxDir, "--sandbox-dir", "must be a directory, or a path where one can be created; this is a file"))
	}
	if o.NodeMonitorGracePeriod <= 0 {
		errs = append(errs, invalid(o.NodeMonitorGracePeriod.String(), "--node-monitor-grace-period", "must be a positive duration such as 50s"))
	}
	_, capErrs := parseCapacity(o.NodeCapacity)
	errs = append(errs, capErrs...)
	if err := apiserver.ValidateAuthorizationModes(o.AuthorizationModes); err != nil {
		errs = append(errs, invalid(strings.Join(o.AuthorizationModes, ","), "--authorization-mode", err.Error()))
	}
	if err := cluster.ValidateControllers(o.Controllers); err != nil {
		errs = append(errs, invalid(strings.Join(o.Controllers, ","), "--controllers", err.Error()))
	}
	_, netErrs := o.network()
	errs = append(errs, netErrs...)
	return utilerrors.NewAggregate(errs)
}

// parseCapacity reads --node-capacity: each entry a resource name as the
// API validates node capacity names, =, and a non-negative quantity.
func parseCapacity(pairs []string) (corev1.ResourceList, []error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	const rule = "must be name=quantity pairs such as cpu=8,memory=32Gi,pods=110"
	out := corev1.ResourceList{}
	var errs []error
	for _, pair := range pairs {
		name, value, ok := strings.Cut(pair, "=")
		q, err := resource.ParseQuantity(value)
		switch {
		case !ok || err != nil:
			errs = append(errs, invalid(pair, "--node-capacity", rule))
		case len(validation.IsQualifiedName(name)) > 0:
			errs = append(errs, invalid(pair, "--node-capacity", "the resource name must be a qualified name such as cpu, memory or example.com/gpu"))
		case q.Sign() < 0:
			errs = append(errs, invalid(pair, "--node-capacity", "the quantity must not be negative"))
		default:
			out[corev1.ResourceName(name)] = q
		}
	}
	return out, errs
}

func invalid(value, flag, rule string) error {
	return fmt.Errorf("invalid value %q for %s: %s", value, flag, rule)
}

// Config validates the options and returns the configuration Run takes.
func (o *Options) Config() (CompletedConfig, error) {
	if err := o.Validate(); err != nil {
		return CompletedConfig{}, err
	}
	// Validate found no problem, so network has none to report.
	opts, _ := o.network()
	opts.DataDir, opts.Kubeconfig = o.DataDir, o.Kubeconfig
	opts.BindAddress, opts.SecurePort = o.BindAddress, o.SecurePort
	opts.Controllers = o.Controllers
	opts.AuthorizationModes = o.AuthorizationModes
	opts.Nodes, opts.SandboxDir = o.Nodes, o.SandboxDir
	opts.NodeCapacity, _ = parseCapacity(o.NodeCapacity)
	opts.NodeMonitorGracePeriod = o.NodeMonitorGracePeriod
	if o.Nodes == 0 {
		opts.Nodes = cluster.NoNodes
	}
	return CompletedConfig{&completedConfig{
		cluster:   opts,
		verbosity: o.Verbosity,
	}}, nil
}

// CompletedConfig is configuration that went through Complete and Validate.
// Only Options.Config makes one, so Run never starts from unchecked input.
type CompletedConfig struct{ *completedConfig }

type completedConfig struct {
	cluster   cluster.Options
	verbosity int
}

// lenientInt is an int flag that accepts any text: a value that is not a
// whole number is kept in text for Validate to report.
type lenientInt struct {
	value *int
	text  *string
}

var _ pflag.Value = lenientInt{}

func (f lenientInt) String() string {
	if f.value == nil {
		return "0"
	}
	if *f.text != "" {
		return *f.text
	}
	return strconv.Itoa(*f.value)
}

func (f lenientInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		*f.text = s
		return nil
	}
	*f.value, *f.text = n, ""
	return nil
}

func (f lenientInt) Type() string { return "int" }
