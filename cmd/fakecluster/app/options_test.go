package app

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle"
)

// withNetworkDefaults fills the network and controller fields a test row
// leaves zero with the defaults, which the command passes on explicitly.
func withNetworkDefaults(o cluster.Options) cluster.Options {
	if o.Controllers == nil {
		o.Controllers = []string{"*"}
	}
	if o.AuthorizationModes == nil {
		o.AuthorizationModes = []string{"Node", "RBAC"}
	}
	if o.ServiceClusterIPRanges == nil {
		o.ServiceClusterIPRanges = cluster.DefaultServiceClusterIPRanges()
	}
	if o.ClusterCIDRs == nil {
		o.ClusterCIDRs = cluster.DefaultClusterCIDRs()
	}
	if o.NodeCIDRMaskSizeIPv4 == 0 {
		o.NodeCIDRMaskSizeIPv4 = cluster.DefaultNodeCIDRMaskSizeIPv4
	}
	if o.NodeCIDRMaskSizeIPv6 == 0 {
		o.NodeCIDRMaskSizeIPv6 = cluster.DefaultNodeCIDRMaskSizeIPv6
	}
	if o.ServiceNodePortRange == (allocator.PortRange{}) {
		o.ServiceNodePortRange = cluster.DefaultServiceNodePortRange()
	}
	if o.Nodes == 0 {
		o.Nodes = 1
	}
	if o.NodeIPRanges == nil {
		o.NodeIPRanges = cluster.DefaultNodeIPRanges()
	}
	if o.NodeMonitorGracePeriod == 0 {
		o.NodeMonitorGracePeriod = nodelifecycle.DefaultNodeMonitorGracePeriod
	}
	if o.SandboxDir == "" {
		o.SandboxDir = filepath.Join(o.DataDir, "sandbox")
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = cluster.DefaultClusterDomain
	}
	if o.LoadBalancerIPRanges == nil {
		o.LoadBalancerIPRanges = cluster.DefaultLoadBalancerIPRanges()
	}
	return o
}

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

func TestParseAndValidate(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	home := map[string]string{"HOME": "/home/u"}

	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		wantCluster   cluster.Options
		wantVerbosity int
		// wantErrs are the problems Validate reports, in order.
		wantErrs []string
		// wantErr is the whole message the user sees.
		wantErr string
	}{{
		name:        "defaults under HOME",
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "defaults under XDG_STATE_HOME",
		env:         map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/state"},
		wantCluster: cluster.Options{DataDir: "/state/fakecluster", Kubeconfig: "/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "relative XDG_STATE_HOME is ignored, as the XDG spec says",
		env:         map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "state"},
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:          "every flag set",
		args:          []string{"--data-dir", "/data", "--kubeconfig", "/etc/kube/admin.conf", "--bind-address", "::1", "--secure-port", "0", "-v", "4"},
		wantCluster:   cluster.Options{DataDir: "/data", Kubeconfig: "/etc/kube/admin.conf", BindAddress: "::1", SecurePort: 0},
		wantVerbosity: 4,
	}, {
		name:          "equals forms",
		args:          []string{"--data-dir=/data", "--kubeconfig=/kc", "--bind-address=0.0.0.0", "--secure-port=65535", "--v=2"},
		wantCluster:   cluster.Options{DataDir: "/data", Kubeconfig: "/kc", BindAddress: "0.0.0.0", SecurePort: 65535},
		wantVerbosity: 2,
	}, {
		name:          "relative data dir is made absolute",
		args:          []string{"--data-dir", "state", "-v=1"},
		wantCluster:   cluster.Options{DataDir: filepath.Join(wd, "state"), Kubeconfig: filepath.Join(wd, "state", "kubeconfig"), BindAddress: "127.0.0.1", SecurePort: 6443},
		wantVerbosity: 1,
	}, {
		name:        "controllers as kube-controller-manager takes them",
		args:        []string{"--data-dir", "/data", "--controllers", "*,-garbage-collector-controller", "--controllers=-node-ipam-controller"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, Controllers: []string{"*", "-garbage-collector-controller", "-node-ipam-controller"}},
	}, {
		name:        "authorization modes",
		args:        []string{"--data-dir", "/data", "--authorization-mode", "RBAC,AlwaysAllow"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, AuthorizationModes: []string{"RBAC", "AlwaysAllow"}},
	}, {
		name: "bad authorization modes",
		args: []string{"--data-dir", "/data", "--authorization-mode", "Node,ABAC"},
		wantErrs: []string{`invalid value "Node,ABAC" for --authorization-mode: unknown authorization mode "ABAC": ` +
			`must be a comma-separated list of Node, RBAC and AlwaysAllow, each at most once, e.g. Node,RBAC (the default)`},
	}, {
		name:     "authorization mode twice",
		args:     []string{"--data-dir", "/data", "--authorization-mode", "RBAC,RBAC"},
		wantErrs: []string{`invalid value "RBAC,RBAC" for --authorization-mode: authorization mode "RBAC" given more than once: must be a comma-separated list of Node, RBAC and AlwaysAllow, each at most once, e.g. Node,RBAC (the default)`},
	}, {
		name:     "unknown controller",
		args:     []string{"--data-dir", "/data", "--controllers", "*,-gc"},
		wantErrs: []string{`invalid value "*,-gc" for --controllers: "-gc" is not in the list of known controllers: ` + strings.Join(cluster.ControllerNames(), ", ")},
	}, {
		name:        "kubeconfig follows the data dir",
		args:        []string{"--data-dir", "/data"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "kubeconfig outside the data dir",
		args:        []string{"--kubeconfig", "/home/u/.kube/config"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.kube/config", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "relative kubeconfig is made absolute",
		args:        []string{"--data-dir", "/data", "--kubeconfig", "kc"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: filepath.Join(wd, "kc"), BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "empty kubeconfig means the default",
		args:        []string{"--data-dir", "/data", "--kubeconfig="},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "kubeconfig path is cleaned",
		args:        []string{"--data-dir", "/data", "--kubeconfig", "/etc//kube/../kube/config"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/etc/kube/config", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:     "kubeconfig given but no data dir and no default",
		args:     []string{"--kubeconfig", "/kc"},
		wantErrs: []string{"missing --data-dir: there is no default when neither $XDG_STATE_HOME nor $HOME is set"},
	}, {
		name:     "no data dir and no default",
		wantErrs: []string{"missing --data-dir: there is no default when neither $XDG_STATE_HOME nor $HOME is set"},
	}, {
		name:     "data dir is a file",
		args:     []string{"--data-dir", file},
		wantErrs: []string{`invalid value "` + file + `" for --data-dir: must be a directory, or a path where one can be created; this is a file`},
	}, {
		name:     "bind address is a name",
		args:     []string{"--bind-address", "abc"},
		env:      home,
		wantErrs: []string{`invalid value "abc" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
		wantErr:  "invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\nRun 'fakecluster --help' for usage.",
	}, {
		name:     "bind address is empty",
		args:     []string{"--bind-address="},
		env:      home,
		wantErrs: []string{`invalid value "" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
	}, {
		name:     "bind address in brackets",
		args:     []string{"--bind-address", "[::1]"},
		env:      home,
		wantErrs: []string{`invalid value "[::1]" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
	}, {
		name:     "port too large",
		args:     []string{"--secure-port", "65536"},
		env:      home,
		wantErrs: []string{`invalid value "65536" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:     "port negative",
		args:     []string{"--secure-port=-1"},
		env:      home,
		wantErrs: []string{`invalid value "-1" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:     "port not a number",
		args:     []string{"--secure-port", "https"},
		env:      home,
		wantErrs: []string{`invalid value "https" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:        "port not a number, then a good one",
		args:        []string{"--secure-port", "https", "--secure-port", "8443"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 8443},
	}, {
		name:     "verbosity negative",
		args:     []string{"-v", "-1"},
		env:      home,
		wantErrs: []string{`invalid value "-1" for -v: must be a whole number, 0 or more`},
	}, {
		name:     "verbosity not a number",
		args:     []string{"-v=high"},
		env:      home,
		wantErrs: []string{`invalid value "high" for -v: must be a whole number, 0 or more`},
	}, {
		name: "every problem at once",
		args: []string{"--data-dir", file, "--bind-address", "localhost", "--secure-port", "70000", "-v", "x"},
		wantErrs: []string{
			`invalid value "` + file + `" for --data-dir: must be a directory, or a path where one can be created; this is a file`,
			`invalid value "localhost" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`,
			`invalid value "70000" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`,
			`invalid value "x" for -v: must be a whole number, 0 or more`,
		},
	}, {
		name: "two problems, as the user sees them",
		args: []string{"--bind-address", "abc", "--secure-port", "abc"},
		env:  home,
		wantErrs: []string{
			`invalid value "abc" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`,
			`invalid value "abc" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`,
		},
		wantErr: "invalid flags:\n" +
			"  invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\n" +
			"  invalid value \"abc\" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)\n" +
			"Run 'fakecluster --help' for usage.",
	}, {
		name:        "dual-stack, IPv4 primary, every network flag",
		args:        []string{"--service-cluster-ip-range", "10.0.0.0/16,fd00:1::/112", "--cluster-cidr", "10.1.0.0/16,fd00:2::/56", "--node-cidr-mask-size-ipv4", "25", "--node-cidr-mask-size-ipv6", "72", "--service-node-port-range", "20000-20999", "--load-balancer-ip-range", "192.168.0.0/24,fd00:3::/120"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceClusterIPRanges: prefixes("10.0.0.0/16", "fd00:1::/112"), ClusterCIDRs: prefixes("10.1.0.0/16", "fd00:2::/56"), NodeCIDRMaskSizeIPv4: 25, NodeCIDRMaskSizeIPv6: 72, ServiceNodePortRange: allocator.PortRange{Base: 20000, Size: 1000}, LoadBalancerIPRanges: prefixes("192.168.0.0/24", "fd00:3::/120")},
	}, {
		name:        "dual-stack, IPv6 primary",
		args:        []string{"--service-cluster-ip-range=fd00:10:96::/108,10.96.0.0/16", "--cluster-cidr=fd00:10:244::/56,10.244.0.0/16", "--load-balancer-ip-range=fc00:f853:ccd:e793:ffff::/112,172.18.255.0/24"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceClusterIPRanges: prefixes("fd00:10:96::/108", "10.96.0.0/16"), ClusterCIDRs: prefixes("fd00:10:244::/56", "10.244.0.0/16"), LoadBalancerIPRanges: prefixes("fc00:f853:ccd:e793:ffff::/112", "172.18.255.0/24")},
	}, {
		name:        "single-stack IPv4",
		args:        []string{"--service-cluster-ip-range", "10.0.0.0/24", "--cluster-cidr", "10.1.0.0/16", "--node-cidr-mask-size-ipv4", "26", "--load-balancer-ip-range", "192.168.0.0/24"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceClusterIPRanges: prefixes("10.0.0.0/24"), ClusterCIDRs: prefixes("10.1.0.0/16"), NodeCIDRMaskSizeIPv4: 26, LoadBalancerIPRanges: prefixes("192.168.0.0/24")},
	}, {
		name:        "single-stack IPv6",
		args:        []string{"--service-cluster-ip-range", "fd00::/64", "--cluster-cidr", "fd01::/48", "--node-cidr-mask-size-ipv6", "64", "--load-balancer-ip-range", "fd02::/120"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceClusterIPRanges: prefixes("fd00::/64"), ClusterCIDRs: prefixes("fd01::/48"), LoadBalancerIPRanges: prefixes("fd02::/120")},
	}, {
		name:        "host bits are masked and spaces trimmed, as ParseCIDRSloppy",
		args:        []string{"--service-cluster-ip-range", "10.96.3.4/16, fd00:10:96::1/108", "--cluster-cidr", " 10.244.1.0/16 "},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ClusterCIDRs: prefixes("10.244.0.0/16"), NodeCIDRMaskSizeIPv6: 64},
	}, {
		name:        "empty values and zero mask sizes mean the defaults",
		args:        []string{"--service-cluster-ip-range=", "--cluster-cidr=", "--node-cidr-mask-size-ipv4=0", "--node-cidr-mask-size-ipv6=0", "--service-node-port-range=", "--load-balancer-ip-range="},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "port range as base plus offset",
		args:        []string{"--service-node-port-range", "30000+99"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceNodePortRange: allocator.PortRange{Base: 30000, Size: 100}},
	}, {
		name:        "nodes, their network, sandbox and domain",
		args:        []string{"--nodes", "3", "--node-ip-range", "fd00:1::/64,192.168.0.0/16", "--sandbox-dir", "/sb", "--cluster-domain", "example.test"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, Nodes: 3, NodeIPRanges: prefixes("fd00:1::/64", "192.168.0.0/16"), SandboxDir: "/sb", ClusterDomain: "example.test"},
	}, {
		name:        "node capacity",
		args:        []string{"--node-capacity", "cpu=16,memory=64Gi", "--node-capacity", "example.com/gpu=2"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, NodeCapacity: corev1.ResourceList{"cpu": resource.MustParse("16"), "memory": resource.MustParse("64Gi"), "example.com/gpu": resource.MustParse("2")}},
	}, {
		name: "bad node capacity",
		args: []string{"--node-capacity", "cpu,memory=lots,bad name=1,pods=-1"},
		env:  home,
		wantErrs: []string{
			`invalid value "cpu" for --node-capacity: must be name=quantity pairs such as cpu=8,memory=32Gi,pods=110`,
			`invalid value "memory=lots" for --node-capacity: must be name=quantity pairs such as cpu=8,memory=32Gi,pods=110`,
			`invalid value "bad name=1" for --node-capacity: the resource name must be a qualified name such as cpu, memory or example.com/gpu`,
			`invalid value "pods=-1" for --node-capacity: the quantity must not be negative`,
		},
	}, {
		name:        "node monitor grace period",
		args:        []string{"--node-monitor-grace-period", "5s"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, NodeMonitorGracePeriod: 5 * time.Second},
	}, {
		name:     "node monitor grace period of zero",
		args:     []string{"--node-monitor-grace-period", "0s"},
		env:      home,
		wantErrs: []string{`invalid value "0s" for --node-monitor-grace-period: must be a positive duration such as 50s`},
	}, {
		name:        "no nodes",
		args:        []string{"--nodes", "0"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, Nodes: cluster.NoNodes},
	}, {
		name: "bad nodes, node network and domain",
		args: []string{"--nodes", "two", "--node-ip-range", "192.168.0.0/16,fd00::/48", "--cluster-domain", "Cluster_Local"},
		env:  home,
		wantErrs: []string{
			`invalid value "two" for --nodes: must be a whole number, 0 or more (0 runs no node)`,
			`invalid value "192.168.0.0/16,fd00::/48" for --node-ip-range: entry [1] is a /48: an IPv6 range must be a /64 or longer, such as fc00:f853:ccd:e793::/64`,
			`invalid value "Cluster_Local" for --cluster-domain: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), such as cluster.local`,
		},
	}, {
		name:     "node network without the pod network's family",
		args:     []string{"--node-ip-range", "192.168.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "192.168.0.0/16" for --node-ip-range: has no IPv6 range, which --cluster-cidr fd00:10:244::/56 needs: give one range per family of --cluster-cidr, such as 172.18.0.0/16,fc00:f853:ccd:e793::/64`},
	}, {
		name:        "port range of one port",
		args:        []string{"--service-node-port-range", "30080"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443, ServiceNodePortRange: allocator.PortRange{Base: 30080, Size: 1}},
	}, {
		name:     "service range with three entries",
		args:     []string{"--service-cluster-ip-range", "10.0.0.0/16,fd00::/108,10.1.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "10.0.0.0/16,fd00::/108,10.1.0.0/16" for --service-cluster-ip-range: must not contain more than two entries: give one CIDR, or one IPv4 and one IPv6 CIDR, such as 10.96.0.0/16 or 10.96.0.0/16,fd00:10:96::/108`},
	}, {
		name:     "service ranges both IPv4",
		args:     []string{"--service-cluster-ip-range", "10.0.0.0/16,10.1.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "10.0.0.0/16,10.1.0.0/16" for --service-cluster-ip-range: entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as 10.96.0.0/16 or 10.96.0.0/16,fd00:10:96::/108`},
	}, {
		name:     "service ranges both IPv6",
		args:     []string{"--service-cluster-ip-range", "fd00:1::/108,fd00:2::/108"},
		env:      home,
		wantErrs: []string{`invalid value "fd00:1::/108,fd00:2::/108" for --service-cluster-ip-range: entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as 10.96.0.0/16 or 10.96.0.0/16,fd00:10:96::/108`},
	}, {
		name:     "service range without a prefix length",
		args:     []string{"--service-cluster-ip-range", "10.96.0.0"},
		env:      home,
		wantErrs: []string{`invalid value "10.96.0.0" for --service-cluster-ip-range: entry [0] "10.96.0.0" is not a valid cidr; write an IP address and a prefix length, such as 10.96.0.0/16`},
	}, {
		name: "service ranges both unparsable",
		args: []string{"--service-cluster-ip-range", "abc,10.96.0.0/33"},
		env:  home,
		wantErrs: []string{
			`invalid value "abc,10.96.0.0/33" for --service-cluster-ip-range: entry [0] "abc" is not a valid cidr; write an IP address and a prefix length, such as 10.96.0.0/16`,
			`invalid value "abc,10.96.0.0/33" for --service-cluster-ip-range: entry [1] "10.96.0.0/33" is not a valid cidr; write an IP address and a prefix length, such as 10.96.0.0/16`,
		},
	}, {
		name:     "service range with a trailing comma",
		args:     []string{"--service-cluster-ip-range", "10.96.0.0/16,"},
		env:      home,
		wantErrs: []string{`invalid value "10.96.0.0/16," for --service-cluster-ip-range: entry [1] "" is not a valid cidr; write an IP address and a prefix length, such as 10.96.0.0/16`},
	}, {
		name:     "service range IPv4-mapped",
		args:     []string{"--service-cluster-ip-range", "::ffff:10.96.0.0/112"},
		env:      home,
		wantErrs: []string{`invalid value "::ffff:10.96.0.0/112" for --service-cluster-ip-range: entry [0] "::ffff:10.96.0.0/112" is an IPv4-mapped IPv6 cidr; write it as an IPv4 cidr, such as 10.96.0.0/16`},
	}, {
		name:     "service range IPv6 shorter than /64",
		args:     []string{"--service-cluster-ip-range", "10.96.0.0/16,fd00::/48"},
		env:      home,
		wantErrs: []string{`invalid value "10.96.0.0/16,fd00::/48" for --service-cluster-ip-range: entry [1]: shortest allowed prefix length for service CIDR is 64, got 48; use a /64 or longer, such as fd00:10:96::/108`},
	}, {
		name:     "primary service range IPv4 under 8 addresses",
		args:     []string{"--service-cluster-ip-range", "10.96.0.0/30"},
		env:      home,
		wantErrs: []string{`invalid value "10.96.0.0/30" for --service-cluster-ip-range: the service cluster IP range must be at least 8 IP addresses; entry [0] is a /30, use a /29 or shorter`},
	}, {
		name:     "primary service range IPv6 under 8 addresses",
		args:     []string{"--service-cluster-ip-range", "fd00::/126,10.96.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "fd00::/126,10.96.0.0/16" for --service-cluster-ip-range: the service cluster IP range must be at least 8 IP addresses; entry [0] is a /126, use a /125 or shorter`},
	}, {
		name:     "cluster CIDR with three entries",
		args:     []string{"--cluster-cidr", "10.0.0.0/8,fd00::/56,10.1.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "10.0.0.0/8,fd00::/56,10.1.0.0/16" for --cluster-cidr: must not contain more than two entries: give one CIDR, or one IPv4 and one IPv6 CIDR, such as 10.244.0.0/16 or 10.244.0.0/16,fd00:10:244::/56`},
	}, {
		name:     "cluster CIDRs both IPv4",
		args:     []string{"--cluster-cidr", "10.0.0.0/16,10.1.0.0/16"},
		env:      home,
		wantErrs: []string{`invalid value "10.0.0.0/16,10.1.0.0/16" for --cluster-cidr: entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as 10.244.0.0/16 or 10.244.0.0/16,fd00:10:244::/56`},
	}, {
		name:     "cluster CIDR unparsable",
		args:     []string{"--cluster-cidr", "pods"},
		env:      home,
		wantErrs: []string{`invalid value "pods" for --cluster-cidr: entry [0] "pods" is not a valid cidr; write an IP address and a prefix length, such as 10.244.0.0/16`},
	}, {
		name: "mask sizes not numbers",
		args: []string{"--node-cidr-mask-size-ipv4", "big", "--node-cidr-mask-size-ipv6", "/64"},
		env:  home,
		wantErrs: []string{
			`invalid value "big" for --node-cidr-mask-size-ipv4: must be a prefix length from 1 to 32 (0 means the default, 24)`,
			`invalid value "/64" for --node-cidr-mask-size-ipv6: must be a prefix length from 1 to 128 (0 means the default, 64)`,
		},
	}, {
		name: "mask sizes out of range",
		args: []string{"--node-cidr-mask-size-ipv4", "33", "--node-cidr-mask-size-ipv6=-1"},
		env:  home,
		wantErrs: []string{
			`invalid value "33" for --node-cidr-mask-size-ipv4: must be a prefix length from 1 to 32 (0 means the default, 24)`,
			`invalid value "-1" for --node-cidr-mask-size-ipv6: must be a prefix length from 1 to 128 (0 means the default, 64)`,
		},
	}, {
		name: "node masks shorter than the cluster CIDRs",
		args: []string{"--node-cidr-mask-size-ipv4", "8", "--node-cidr-mask-size-ipv6", "48"},
		env:  home,
		wantErrs: []string{
			`invalid value "8" for --node-cidr-mask-size-ipv4: mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family; for --cluster-cidr 10.244.0.0/16 use 16 to 32`,
			`invalid value "48" for --node-cidr-mask-size-ipv6: mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family; for --cluster-cidr fd00:10:244::/56 use 56 to 72`,
		},
	}, {
		name:     "default node mask longer than a small cluster CIDR",
		args:     []string{"--cluster-cidr", "10.244.0.0/25"},
		env:      home,
		wantErrs: []string{`invalid value "24" for --node-cidr-mask-size-ipv4: mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family; for --cluster-cidr 10.244.0.0/25 use 25 to 32`},
	}, {
		name:     "IPv6 node mask more than 16 bits longer than the cluster CIDR",
		args:     []string{"--node-cidr-mask-size-ipv6", "73"},
		env:      home,
		wantErrs: []string{`invalid value "73" for --node-cidr-mask-size-ipv6: the node CIDR size is too big: it may be at most 16 bits longer than the --cluster-cidr fd00:10:244::/56; use 56 to 72`},
	}, {
		name:     "IPv4 node mask on a single-stack IPv6 cluster",
		args:     []string{"--cluster-cidr", "fd00::/48", "--node-cidr-mask-size-ipv4", "24"},
		env:      home,
		wantErrs: []string{`invalid value "24" for --node-cidr-mask-size-ipv4: usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster; add an IPv4 --cluster-cidr, or leave it out`},
	}, {
		name:     "IPv6 node mask on a single-stack IPv4 cluster",
		args:     []string{"--cluster-cidr", "10.0.0.0/8", "--node-cidr-mask-size-ipv6", "64"},
		env:      home,
		wantErrs: []string{`invalid value "64" for --node-cidr-mask-size-ipv6: usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster; add an IPv6 --cluster-cidr, or leave it out`},
	}, {
		name:     "port range not a number",
		args:     []string{"--service-node-port-range", "high"},
		env:      home,
		wantErrs: []string{`invalid value "high" for --service-node-port-range: strconv.Atoi: parsing "high": invalid syntax; write first-last, such as 30000-32767`},
	}, {
		name:     "port range backwards",
		args:     []string{"--service-node-port-range", "32767-30000"},
		env:      home,
		wantErrs: []string{`invalid value "32767-30000" for --service-node-port-range: end port cannot be less than start port: 32767-30000; write first-last, such as 30000-32767`},
	}, {
		name:     "port range past 65535",
		args:     []string{"--service-node-port-range", "30000-70000"},
		env:      home,
		wantErrs: []string{`invalid value "30000-70000" for --service-node-port-range: the port range cannot be greater than 65535: 30000-70000; write first-last, such as 30000-32767`},
	}, {
		name:     "port range with both forms",
		args:     []string{"--service-node-port-range", "30000-30100+5"},
		env:      home,
		wantErrs: []string{`invalid value "30000-30100+5" for --service-node-port-range: unable to parse port range: 30000-30100+5; write first-last, such as 30000-32767`},
	}, {
		name:     "load-balancer range with three entries",
		args:     []string{"--load-balancer-ip-range", "172.18.0.0/24,fd00::/112,172.19.0.0/24"},
		env:      home,
		wantErrs: []string{`invalid value "172.18.0.0/24,fd00::/112,172.19.0.0/24" for --load-balancer-ip-range: must not contain more than two entries: give one CIDR, or one IPv4 and one IPv6 CIDR, such as 172.18.255.0/24 or 172.18.255.0/24,fc00:f853:ccd:e793:ffff::/112`},
	}, {
		name:     "load-balancer ranges both IPv6",
		args:     []string{"--load-balancer-ip-range", "fd00:1::/112,fd00:2::/112"},
		env:      home,
		wantErrs: []string{`invalid value "fd00:1::/112,fd00:2::/112" for --load-balancer-ip-range: entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as 172.18.255.0/24 or 172.18.255.0/24,fc00:f853:ccd:e793:ffff::/112`},
	}, {
		name:     "load-balancer range a single address",
		args:     []string{"--load-balancer-ip-range", "172.18.255.1"},
		env:      home,
		wantErrs: []string{`invalid value "172.18.255.1" for --load-balancer-ip-range: entry [0] "172.18.255.1" is not a valid cidr; write an IP address and a prefix length, such as 172.18.255.0/24`},
	}, {
		name:     "load-balancer range IPv6 shorter than /64",
		args:     []string{"--load-balancer-ip-range", "fc00::/56"},
		env:      home,
		wantErrs: []string{`invalid value "fc00::/56" for --load-balancer-ip-range: entry [0] is a /56: an IPv6 range must be a /64 or longer, such as fc00:f853:ccd:e793:ffff::/112`},
	}, {
		name: "every network problem at once, in flag order",
		args: []string{"--service-cluster-ip-range", "10.0.0.0/16,10.1.0.0/16", "--cluster-cidr", "x", "--node-cidr-mask-size-ipv4", "40", "--service-node-port-range", "1-0", "--load-balancer-ip-range", "fc00::/8", "--secure-port", "-5"},
		env:  home,
		wantErrs: []string{
			`invalid value "-5" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`,
			`invalid value "10.0.0.0/16,10.1.0.0/16" for --service-cluster-ip-range: entries [0] and [1] must be of different IP family: give one IPv4 and one IPv6 CIDR, such as 10.96.0.0/16 or 10.96.0.0/16,fd00:10:96::/108`,
			`invalid value "x" for --cluster-cidr: entry [0] "x" is not a valid cidr; write an IP address and a prefix length, such as 10.244.0.0/16`,
			`invalid value "40" for --node-cidr-mask-size-ipv4: must be a prefix length from 1 to 32 (0 means the default, 24)`,
			`invalid value "1-0" for --service-node-port-range: end port cannot be less than start port: 1-0; write first-last, such as 30000-32767`,
			`invalid value "fc00::/8" for --load-balancer-ip-range: entry [0] is a /8: an IPv6 range must be a /64 or longer, such as fc00:f853:ccd:e793:ffff::/112`,
		},
	}, {
		name:    "unknown flag",
		args:    []string{"--workers", "3"},
		env:     home,
		wantErr: "unknown flag: --workers\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "unknown shorthand",
		args:    []string{"-x"},
		env:     home,
		wantErr: "unknown shorthand flag: 'x' in -x\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "flag without its value",
		args:    []string{"--data-dir"},
		env:     home,
		wantErr: "flag needs an argument: --data-dir\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "kubeconfig flag without its value",
		args:    []string{"--kubeconfig"},
		env:     home,
		wantErr: "flag needs an argument: --kubeconfig\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "positional argument",
		args:    []string{"start"},
		env:     home,
		wantErr: "unexpected argument \"start\": fakecluster takes only flags\nRun 'fakecluster --help' for usage.",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCommand(io.Discard)
			cfg, err := c.parse(tt.args, func() { c.opts.complete(func(k string) string { return tt.env[k] }) })

			if tt.wantErrs == nil && tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parse(%q) failed: %v", tt.args, err)
				}
				if diff := cmp.Diff(withNetworkDefaults(tt.wantCluster), cfg.cluster, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
					t.Errorf("cluster options (-want +got):\n%s", diff)
				}
				if cfg.verbosity != tt.wantVerbosity {
					t.Errorf("verbosity = %d, want %d", cfg.verbosity, tt.wantVerbosity)
				}
				return
			}
			if err == nil {
				t.Fatalf("parse(%q) succeeded, want an error", tt.args)
			}
			if cfg.completedConfig != nil {
				t.Errorf("parse(%q) returned a config along with its error", tt.args)
			}
			if tt.wantErrs != nil {
				var agg utilerrors.Aggregate
				if !errors.As(err, &agg) {
					t.Fatalf("error %q is not an aggregate", err)
				}
				var got []string
				for _, e := range agg.Errors() {
					got = append(got, e.Error())
				}
				if diff := cmp.Diff(tt.wantErrs, got); diff != "" {
					t.Errorf("problems reported (-want +got):\n%s", diff)
				}
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.wantErr)
			}
			if !strings.HasSuffix(err.Error(), "\nRun 'fakecluster --help' for usage.") {
				t.Errorf("error %q does not end with the usage hint", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--bind-address", "abc", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			if err := NewCommand(&out).Execute(t.Context(), args); err != nil {
				t.Fatalf("Execute(%q) = %v, want nil", args, err)
			}
			for _, want := range []string{"Usage:\n  fakecluster [flags]", "--data-dir", "--kubeconfig", "(default <data-dir>/kubeconfig)", "--bind-address", "--secure-port int", "(default 6443)", "-v, --v int", "-h, --help", "--service-cluster-ip-range string", "(default \"10.96.0.0/16,fd00:10:96::/108\")", "--node-cidr-mask-size-ipv6 int", "(default 64)", "--controllers strings", "--authorization-mode strings", "(default [Node,RBAC])", "--load-balancer-ip-range"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("help does not mention %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestRunRefusesUncheckedConfig(t *testing.T) {
	t.Parallel()
	if err := Run(t.Context(), CompletedConfig{}, io.Discard); err == nil {
		t.Error("Run with a zero CompletedConfig succeeded, want an error")
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "XDG_STATE_HOME wins", env: map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, want: "/x/fakecluster"},
		{name: "HOME", env: map[string]string{"HOME": "/h"}, want: "/h/.local/state/fakecluster"},
		{name: "relative XDG_STATE_HOME", env: map[string]string{"XDG_STATE_HOME": "x", "HOME": "/h"}, want: "/h/.local/state/fakecluster"},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := defaultDataDir(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("defaultDataDir() = %q, want %q", got, tt.want)
			}
		})
	}
}
