package kubelet

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with the current output; a case that differs from upstream keeps upstream's output")

// Each golden file under testdata/files is the case's input, briefly, then
// the bytes rendered from it:
//
//	-- input --
//	key: value
//	-- output --
//	rendered bytes, exactly
const (
	goldenInput  = "-- input --\n"
	goldenOutput = "-- output --\n"
)

// checkGolden compares input and got with testdata/files/<name>.golden.
//
// differs, when not empty, says how fakecluster differs from the kubelet
// in this case. The golden then keeps the kubelet's output (-update
// rewrites only its input), the case is skipped while the outputs differ,
// and it fails once they match, so that the marker is removed.
func checkGolden(t testing.TB, name, input string, got []byte, differs string) {
	t.Helper()
	path := filepath.Join("testdata", "files", name+".golden")
	if *update && differs == "" {
		writeGolden(t, path, input, got)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if differs != "" {
			t.Fatalf("read golden file (write upstream's output into it by hand): %v", err)
		}
		t.Fatalf("read golden file (run with -update to write it): %v", err)
	}
	if differs == "" {
		if diff := cmp.Diff(string(data), renderGolden(input, got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
		return
	}
	wantInput, upstream, err := splitGolden(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if *update {
		writeGolden(t, path, input, upstream)
		wantInput = input
	}
	if diff := cmp.Diff(wantInput, input); diff != "" {
		t.Fatalf("%s: input (-want +got):\n%s", path, diff)
	}
	diff := cmp.Diff(string(upstream), string(got))
	if diff == "" {
		t.Fatalf("%s: the output matches upstream now; remove the marker %q", path, differs)
	}
	t.Skipf("differs from upstream: %s\n%s (-upstream +got):\n%s", differs, path, diff)
}

func renderGolden(input string, output []byte) string {
	return goldenInput + input + goldenOutput + string(output)
}

func writeGolden(t testing.TB, path, input string, output []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(renderGolden(input, output)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func splitGolden(data []byte) (input string, output []byte, err error) {
	rest, ok := bytes.CutPrefix(data, []byte(goldenInput))
	if !ok {
		return "", nil, fmt.Errorf("does not start with %q", goldenInput)
	}
	in, out, ok := bytes.Cut(rest, []byte("\n"+goldenOutput))
	if !ok {
		return "", nil, fmt.Errorf("has no %q line", strings.TrimSpace(goldenOutput))
	}
	return string(in) + "\n", out, nil
}

// describe builds a golden file's input section: a "key: value" line per
// field that is set, long values cut short.
type describe struct{ b strings.Builder }

func (d *describe) line(key string, values ...string) {
	if len(values) == 0 || (len(values) == 1 && values[0] == "") {
		return
	}
	short := make([]string, len(values))
	for i, v := range values {
		short[i] = brief(v)
	}
	fmt.Fprintf(&d.b, "%s: %s\n", key, strings.Join(short, " "))
}

func (d *describe) String() string { return d.b.String() }

// orEmpty is s, or "" written out when s is empty.
func orEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func brief(s string) string {
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("%s...(%d chars)", s[:16], len(s))
}

func addrs(t testing.TB, ss ...string) []netip.Addr {
	t.Helper()
	var ips []netip.Addr
	for _, s := range ss {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			t.Fatal(err)
		}
		ips = append(ips, ip)
	}
	return ips
}

func describeAliases(d *describe, aliases []corev1.HostAlias) {
	for _, a := range aliases {
		d.line("hostAlias", append([]string{a.IP}, a.Hostnames...)...)
	}
}

var testAliases = []corev1.HostAlias{
	{IP: "10.1.2.3", Hostnames: []string{"foo.local", "bar.local"}},
	{IP: "fd00::1:2:3", Hostnames: []string{"foo6.local"}},
	{IP: "10.1.2.4", Hostnames: []string{"baz.local", "qux.local", "quux.local"}},
	{IP: "10.1.2.3", Hostnames: []string{"again.local"}},
}

func TestHostsFile(t *testing.T) {
	t.Parallel()
	const domain = "headless.default.svc.cluster.local"
	for _, tc := range []struct {
		name     string
		ips      []string
		hostname string
		domain   string
		aliases  []corev1.HostAlias
	}{
		{name: "ipv4", ips: []string{"10.244.1.5"}, hostname: "web-0"},
		{name: "ipv6", ips: []string{"fd00:10:244:1::5"}, hostname: "web-0"},
		{name: "dual-stack-ipv4-first", ips: []string{"10.244.1.5", "fd00:10:244:1::5"}, hostname: "web-0"},
		{name: "dual-stack-ipv6-first", ips: []string{"fd00:10:244:1::5", "10.244.1.5"}, hostname: "web-0"},
		{name: "fqdn-ipv4", ips: []string{"10.244.1.5"}, hostname: "web-0", domain: domain},
		{name: "fqdn-ipv6", ips: []string{"fd00:10:244:1::5"}, hostname: "web-0", domain: domain},
		{name: "fqdn-dual-stack", ips: []string{"10.244.1.5", "fd00:10:244:1::5"}, hostname: "web-0", domain: domain},
		{name: "fqdn-dual-stack-ipv6-first", ips: []string{"fd00:10:244:1::5", "10.244.1.5"}, hostname: "web-0", domain: domain},
		{name: "host-aliases", ips: []string{"10.244.1.5"}, hostname: "web-0", aliases: testAliases},
		{name: "fqdn-dual-stack-host-aliases", ips: []string{"10.244.1.5", "fd00:10:244:1::5"}, hostname: "web-0", domain: domain, aliases: testAliases},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d describe
			d.line("ips", tc.ips...)
			d.line("hostname", tc.hostname)
			d.line("domain", tc.domain)
			describeAliases(&d, tc.aliases)
			got := hostsFile(addrs(t, tc.ips...), tc.hostname, tc.domain, tc.aliases)
			checkGolden(t, "hosts-"+tc.name, d.String(), got, "")
		})
	}
}

func TestNodeHostsFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ips  []string
	}{
		{name: "ipv4", ips: []string{"172.18.0.2"}},
		{name: "ipv6", ips: []string{"fc00:f853:ccd:e793::2"}},
		{name: "dual-stack-ipv4-first", ips: []string{"172.18.0.2", "fc00:f853:ccd:e793::2"}},
		{name: "dual-stack-ipv6-first", ips: []string{"fc00:f853:ccd:e793::2", "172.18.0.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d describe
			d.line("node", "kind-worker")
			d.line("nodeIPs", tc.ips...)
			got := nodeHostsFile("kind-worker", addrs(t, tc.ips...))
			checkGolden(t, "node-hosts-"+tc.name, d.String(), got, "")
		})
	}
}

func TestHostNetworkHostsFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ips     []string
		aliases []corev1.HostAlias
	}{
		{name: "ipv4", ips: []string{"172.18.0.2"}},
		{name: "dual-stack", ips: []string{"172.18.0.2", "fc00:f853:ccd:e793::2"}},
		{name: "host-aliases", ips: []string{"172.18.0.2"}, aliases: testAliases},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var d describe
			d.line("node", "kind-worker")
			d.line("nodeIPs", tc.ips...)
			describeAliases(&d, tc.aliases)
			got := hostNetworkHostsFile(nodeHostsFile("kind-worker", addrs(t, tc.ips...)), tc.aliases)
			checkGolden(t, "hostnetwork-hosts-"+tc.name, d.String(), got, "")
		})
	}
}

func TestPodHostname(t *testing.T) {
	t.Parallel()
	long := "web-" + strings.Repeat("a", 66)
	for _, tc := range []struct {
		name                      string
		podName, hostname, subdom string
		override                  *string
		clusterDomain             string
		differs                   string
	}{
		{name: "pod-name", podName: "web-0"},
		{name: "spec-hostname", podName: "web-0", hostname: "web"},
		{name: "subdomain", podName: "web-0", subdom: "headless"},
		{name: "hostname-and-subdomain", podName: "web-0", hostname: "web", subdom: "headless"},
		{name: "other-cluster-domain", podName: "web-0", hostname: "web", subdom: "headless", clusterDomain: "corp.example"},
		{name: "63-chars-kept", podName: strings.Repeat("a", 63)},
		{name: "long-pod-name-truncated", podName: long},
		{name: "long-pod-name-truncated-with-subdomain", podName: long, subdom: "headless"},
		// The cut leaves a trailing '-' or '.', which the kubelet trims.
		{name: "truncated-trailing-dash-trimmed", podName: strings.Repeat("a", 62) + "-b"},
		{name: "truncated-trailing-dot-trimmed", podName: strings.Repeat("a", 62) + ".example"},
		{name: "truncated-trailing-dashes-trimmed", podName: strings.Repeat("a", 60) + "---b"},
		{
			// Nothing is left once trimmed: the kubelet's only error here.
			name: "truncated-to-nothing", podName: strings.Repeat("-.", 32),
		},
		{
			// The HostnameOverride feature is beta, on by default, since v1.35.
			name: "hostname-override", podName: "web-0", hostname: "web", subdom: "headless", override: ptr.To("custom.host.example"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clusterDomain := tc.clusterDomain
			if clusterDomain == "" {
				clusterDomain = "cluster.local"
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: tc.podName, Namespace: "default"},
				Spec:       corev1.PodSpec{Hostname: tc.hostname, Subdomain: tc.subdom, HostnameOverride: tc.override},
			}
			var d describe
			d.line("name", pod.Name)
			d.line("namespace", pod.Namespace)
			d.line("spec.hostname", pod.Spec.Hostname)
			d.line("spec.subdomain", pod.Spec.Subdomain)
			d.line("spec.hostnameOverride", ptr.Deref(pod.Spec.HostnameOverride, ""))
			d.line("clusterDomain", clusterDomain)
			var got string
			if hostname, domain, err := podHostname(pod, clusterDomain); err != nil {
				got = fmt.Sprintf("error: %v\n", err)
			} else {
				got = fmt.Sprintf("hostname: %s\ndomain: %s\n", hostname, domain)
			}
			checkGolden(t, "pod-hostname-"+tc.name, d.String(), []byte(got), tc.differs)
		})
	}
}

func TestKernelHostname(t *testing.T) {
	t.Parallel()
	const domain = "headless.default.svc.cluster.local"
	// hostname.domain is 64 characters, the most the kernel takes, with a
	// hostname of 64-1-len(domain) characters.
	fits := strings.Repeat("h", 64-1-len(domain))
	for _, tc := range []struct {
		name     string
		hostname string
		domain   string
		fqdn     *bool
	}{
		{name: "unset", hostname: "web", domain: domain},
		{name: "false", hostname: "web", domain: domain, fqdn: ptr.To(false)},
		{name: "true", hostname: "web", domain: domain, fqdn: ptr.To(true)},
		{name: "true-without-domain", hostname: "web", fqdn: ptr.To(true)},
		{name: "true-64-chars", hostname: fits, domain: domain, fqdn: ptr.To(true)},
		{name: "true-65-chars", hostname: fits + "h", domain: domain, fqdn: ptr.To(true)},
		{name: "unset-65-chars", hostname: fits + "h", domain: domain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pod := &corev1.Pod{Spec: corev1.PodSpec{SetHostnameAsFQDN: tc.fqdn}}
			var d describe
			d.line("hostname", tc.hostname)
			d.line("domain", tc.domain)
			fqdn := "nil"
			if tc.fqdn != nil {
				fqdn = fmt.Sprint(*tc.fqdn)
			}
			d.line("spec.setHostnameAsFQDN", fqdn)
			var got string
			if h, err := kernelHostname(pod, tc.hostname, tc.domain); err != nil {
				got = fmt.Sprintf("error: %v\n", err)
			} else {
				got = fmt.Sprintf("hostname: %s\n", h)
			}
			checkGolden(t, "kernel-hostname-"+tc.name, d.String(), []byte(got), "")
		})
	}
}

// domains returns n search domains <prefix><i>.example.
func domains(prefix string, n int) []string {
	var ds []string
	for i := range n {
		ds = append(ds, fmt.Sprintf("%s%d.example", prefix, i))
	}
	return ds
}

// longDomain is a valid DNS subdomain of n characters (labels of at most
// 63) starting with c.
func longDomain(c byte, n int) string {
	var labels []string
	for n > 0 {
		l := min(n, 63)
		labels = append(labels, strings.Repeat(string(c), l))
		n -= l + 1
	}
	return strings.Join(labels, ".")
}

func TestPodDNSResolvConf(t *testing.T) {
	t.Parallel()
	clusterDNS := []string{"10.96.0.10"}
	node := dnsConfig{servers: []string{"172.18.0.1"}, searches: []string{"corp.example"}, options: []string{"timeout:2"}}
	over2048 := make([]string, 8) // 3 cluster domains (57 characters) and 8 of 251: 2073 characters
	for i := range over2048 {
		over2048[i] = longDomain(byte('a'+i), 251)
	}
	for _, tc := range []struct {
		name          string
		policy        corev1.DNSPolicy
		hostNetwork   bool
		config        *corev1.PodDNSConfig
		clusterDNS    []string
		noDomain      bool
		host          dnsConfig
		differs       string
		clusterDomain string
	}{
		{name: "cluster-first-ipv4", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: node},
		{name: "cluster-first-ipv6", policy: corev1.DNSClusterFirst, clusterDNS: []string{"fd00:10:96::a"}, host: node},
		{name: "cluster-first-dual-stack", policy: corev1.DNSClusterFirst, clusterDNS: []string{"10.96.0.10", "fd00:10:96::a"}, host: node},
		{name: "cluster-first-dual-stack-ipv6-first", policy: corev1.DNSClusterFirst, clusterDNS: []string{"fd00:10:96::a", "10.96.0.10"}, host: node},
		{name: "cluster-first-host-network", policy: corev1.DNSClusterFirst, hostNetwork: true, clusterDNS: clusterDNS, host: node},
		{name: "cluster-first-no-cluster-dns", policy: corev1.DNSClusterFirst, host: node},
		{name: "cluster-first-with-host-net", policy: corev1.DNSClusterFirstWithHostNet, clusterDNS: clusterDNS, host: node},
		{name: "cluster-first-with-host-net-host-network", policy: corev1.DNSClusterFirstWithHostNet, hostNetwork: true, clusterDNS: clusterDNS, host: node},
		{name: "cluster-first-with-host-net-no-cluster-dns", policy: corev1.DNSClusterFirstWithHostNet, hostNetwork: true, host: node},
		{name: "default", policy: corev1.DNSDefault, clusterDNS: clusterDNS, host: node},
		{name: "default-host-network", policy: corev1.DNSDefault, hostNetwork: true, clusterDNS: clusterDNS, host: node},
		{name: "default-fakecluster-node-ipv4", policy: corev1.DNSDefault, clusterDNS: clusterDNS, host: hostDNS(addrs(t, "172.18.0.2"))},
		{name: "default-fakecluster-node-ipv6", policy: corev1.DNSDefault, clusterDNS: clusterDNS, host: hostDNS(addrs(t, "fc00:f853:ccd:e793::2"))},
		{name: "default-fakecluster-node-dual-stack", policy: corev1.DNSDefault, clusterDNS: clusterDNS, host: hostDNS(addrs(t, "172.18.0.2", "fc00:f853:ccd:e793::2"))},
		{
			name: "none", policy: corev1.DNSNone, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{
				Nameservers: []string{"1.1.1.1", "2606:4700:4700::1111"},
				Searches:    []string{"corp.example", "example.com"},
				Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}},
			},
		},
		{
			name: "none-option-without-value", policy: corev1.DNSNone, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Options: []corev1.PodDNSConfigOption{{Name: "edns0"}}},
		},
		{
			name: "none-option-empty-value", policy: corev1.DNSNone, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Options: []corev1.PodDNSConfigOption{{Name: "edns0", Value: ptr.To("")}}},
		},
		{
			name: "cluster-first-merge", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{
				Nameservers: []string{"10.96.0.10", "1.1.1.1"},
				Searches:    []string{"svc.cluster.local", "example.com", "example.com"},
			},
		},
		{
			name: "cluster-first-ndots-override", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}}},
		},
		{
			// Upstream's order of options is that of a map's range; ours is
			// one of the orders it may give.
			name: "cluster-first-options-override-last-wins", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: node,
			config: &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{
				{Name: "ndots", Value: ptr.To("1")},
				{Name: "ndots", Value: ptr.To("3")},
			}},
		},
		{
			name: "default-merge", policy: corev1.DNSDefault, clusterDNS: clusterDNS,
			host: dnsConfig{servers: []string{"172.18.0.1"}, searches: []string{"corp.example"}, options: []string{"ndots:1"}},
			config: &corev1.PodDNSConfig{
				Nameservers: []string{"172.18.0.1", "1.1.1.1"},
				Searches:    []string{"corp.example", "example.com"},
				Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("3")}},
			},
		},
		{
			name: "nameservers-at-most-3", policy: corev1.DNSClusterFirst, clusterDNS: []string{"10.96.0.10", "fd00:10:96::a"}, host: node,
			config: &corev1.PodDNSConfig{Nameservers: []string{"10.96.0.10", "1.1.1.1", "8.8.8.8", "9.9.9.9"}},
		},
		{
			name: "searches-at-most-32", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: dnsConfig{servers: node.servers},
			config: &corev1.PodDNSConfig{Searches: append([]string{"cluster.local"}, domains("s", 31)...)},
		},
		{
			name: "search-line-at-most-2048-chars", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, host: dnsConfig{servers: node.servers},
			config: &corev1.PodDNSConfig{Searches: over2048},
		},
		{
			name: "host-search-over-253-chars", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS,
			host: dnsConfig{servers: node.servers, searches: []string{"corp.example", strings.Repeat("x", 254), "example.com"}},
		},
		{
			name: "host-search-duplicates-cluster", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS,
			host: dnsConfig{servers: node.servers, searches: []string{"corp.example", "cluster.local"}},
		},
		{
			name: "cluster-first-no-cluster-domain", policy: corev1.DNSClusterFirst, clusterDNS: clusterDNS, noDomain: true, host: node,
		},
		{
			// The API server defaults dnsPolicy; the kubelet falls back to
			// ClusterFirst, even for a hostNetwork pod.
			name: "empty-policy-host-network", hostNetwork: true, clusterDNS: clusterDNS, host: node,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clusterDomain := "cluster.local"
			if tc.noDomain {
				clusterDomain = ""
			}
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"},
				Spec:       corev1.PodSpec{DNSPolicy: tc.policy, HostNetwork: tc.hostNetwork, DNSConfig: tc.config},
			}
			var d describe
			d.line("namespace", pod.Namespace)
			d.line("dnsPolicy", orEmpty(string(tc.policy)))
			d.line("hostNetwork", fmt.Sprint(tc.hostNetwork))
			d.line("clusterDNS", tc.clusterDNS...)
			d.line("clusterDomain", orEmpty(clusterDomain))
			d.line("node.nameservers", tc.host.servers...)
			d.line("node.searches", tc.host.searches...)
			d.line("node.options", tc.host.options...)
			if c := tc.config; c != nil {
				d.line("dnsConfig.nameservers", c.Nameservers...)
				d.line("dnsConfig.searches", c.Searches...)
				var opts []string
				for _, o := range c.Options {
					switch {
					case o.Value == nil:
						opts = append(opts, o.Name)
					case *o.Value == "":
						opts = append(opts, o.Name+`=""`)
					default:
						opts = append(opts, o.Name+"="+*o.Value)
					}
				}
				d.line("dnsConfig.options", opts...)
			}
			got := resolvConf(podDNS(pod, addrs(t, tc.clusterDNS...), clusterDomain, tc.host))
			checkGolden(t, "resolv-"+tc.name, d.String(), got, tc.differs)
		})
	}
}

// podDNS is a pure function: it must leave the node's configuration it is
// given as it was.
func TestPodDNSLeavesHostAlone(t *testing.T) {
	t.Parallel()
	host := dnsConfig{
		servers:  []string{"172.18.0.1"},
		searches: []string{"corp.example", "example.com"},
		options:  []string{"ndots:1", "timeout:2"},
	}
	before := dnsConfig{servers: slices.Clone(host.servers), searches: slices.Clone(host.searches), options: slices.Clone(host.options)}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"},
		Spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault, DNSConfig: &corev1.PodDNSConfig{
			Nameservers: []string{"1.1.1.1"},
			Searches:    []string{"other.example"},
			Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("3")}},
		}},
	}
	podDNS(pod, nil, "cluster.local", host)
	if diff := cmp.Diff(before, host, cmp.AllowUnexported(dnsConfig{})); diff != "" {
		t.Errorf("podDNS changed the node's configuration it was given (-before +after):\n%s", diff)
	}
}

// The renderer alone, for what podDNS never gives it.
func TestResolvConfEmpty(t *testing.T) {
	t.Parallel()
	if got := resolvConf(dnsConfig{}); len(got) != 0 {
		t.Errorf("resolvConf(empty) = %q, want no bytes", got)
	}
}
