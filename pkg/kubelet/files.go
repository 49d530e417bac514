package kubelet

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The kubelet's own files of a pod, rendered by pure functions (the
// sandbox writes them): the managed /etc/hosts, /etc/hostname and
// resolv.conf, as the kubelet and containerd produce them.

// hostsFile is the kubelet-managed /etc/hosts of a pod that is not on the
// host network: the header, the six fixed lines, a line per pod IP (the
// FQDN form when the pod has a domain) and the HostAliases block.
func hostsFile(ips []netip.Addr, hostname, domain string, aliases []corev1.HostAlias) []byte {
	var b bytes.Buffer
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	for _, ip := range ips {
		if domain != "" {
			fmt.Fprintf(&b, "%s\t%s.%s\t%s\n", ip, hostname, domain, hostname)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	b.Write(hostAliasesBlock(aliases))
	return b.Bytes()
}

// hostNetworkHostsFile is the hosts file of a hostNetwork pod: the node's
// own, under its header, then the HostAliases block.
func hostNetworkHostsFile(node []byte, aliases []corev1.HostAlias) []byte {
	var b bytes.Buffer
	b.WriteString("# Kubernetes-managed hosts file (host network).\n")
	b.Write(node)
	b.Write(hostAliasesBlock(aliases))
	return b.Bytes()
}

func hostAliasesBlock(aliases []corev1.HostAlias) []byte {
	if len(aliases) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("\n# Entries added by HostAliases.\n")
	for _, a := range aliases {
		fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
	}
	return b.Bytes()
}

// managesHosts reports whether the kubelet mounts its hosts file into c:
// not when c mounts something of its own at /etc/hosts.
func managesHosts(c *corev1.Container) bool {
	return !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/hosts" })
}

// podHostname is the pod's hostname and domain, as the kubelet's
// GeneratePodHostNameAndDomain: spec.hostnameOverride when set (the
// HostnameOverride feature, on by default since v1.35), with no domain;
// else spec.hostname or the pod's name and, with a subdomain, the domain
// <subdomain>.<namespace>.svc.<clusterDomain>. The hostname is cut to 63
// characters without a trailing '-' or '.'; an error when nothing is left.
func podHostname(pod *corev1.Pod, clusterDomain string) (hostname, domain string, err error) {
	if o := pod.Spec.HostnameOverride; o != nil {
		hostname, err = truncateHostname(pod.Name, *o)
		return hostname, "", err
	}
	hostname = pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	if hostname, err = truncateHostname(pod.Name, hostname); err != nil {
		return "", "", err
	}
	if pod.Spec.Subdomain != "" {
		domain = fmt.Sprintf("%s.%s.svc.%s", pod.Spec.Subdomain, pod.Namespace, clusterDomain)
	}
	return hostname, domain, nil
}

// truncateHostname cuts hostname to the 63 characters the kernel takes,
// then trims a trailing '-' or '.'; an error, in the kubelet's words, when
// that leaves nothing.
func truncateHostname(podName, hostname string) (string, error) {
	const max = 63
	if len(hostname) <= max {
		return hostname, nil
	}
	cut := strings.TrimRight(hostname[:max], "-.")
	if cut == "" {
		return "", fmt.Errorf("hostname for pod %q was invalid: %q", podName, hostname)
	}
	return cut, nil
}

// kernelHostname is what `hostname` prints in the pod: the FQDN with
// setHostnameAsFQDN and a domain, else the short name; an error when the
// FQDN is longer than the kernel allows.
func kernelHostname(pod *corev1.Pod, hostname, domain string) (string, error) {
	if pod.Spec.SetHostnameAsFQDN == nil || !*pod.Spec.SetHostnameAsFQDN || domain == "" {
		return hostname, nil
	}
	fqdn := hostname + "." + domain
	const max = 64
	if len(fqdn) > max {
		return "", fmt.Errorf("failed to construct FQDN from pod hostname and cluster domain, FQDN %s is too long (%d characters is the max, %d characters requested)", fqdn, max, len(fqdn))
	}
	return fqdn, nil
}

// dnsConfig is a pod's DNS settings: what resolv.conf says.
type dnsConfig struct {
	servers, searches, options []string
}

// hostDNS is the node's resolv.conf as fakecluster's nodes have it: no
// search domains, a loopback resolver per family of the node.
func hostDNS(nodeIPs []netip.Addr) dnsConfig {
	var d dnsConfig
	for _, ip := range nodeIPs {
		if ip.Is4() {
			d.servers = append(d.servers, "127.0.0.11")
		}
	}
	if len(d.servers) == 0 {
		d.servers = []string{"::1"}
	}
	return d
}

// The kubelet's limits on a pod's resolv.conf (MaxDNSNameservers,
// MaxDNSSearchPaths and MaxDNSSearchListChars of the API's validation, and
// a DNS subdomain's length for one search domain).
const (
	maxDNSNameservers     = 3
	maxDNSSearchPaths     = 32
	maxDNSSearchListChars = 2048
	maxDNSSearchDomainLen = 253
)

// podDNS is the kubelet's DNS configuration of pod for each dnsPolicy, then
// merged with spec.dnsConfig, within the kubelet's limits, as GetPodDNS.
// host is left as it was.
func podDNS(pod *corev1.Pod, clusterDNS []netip.Addr, clusterDomain string, host dnsConfig) dnsConfig {
	d := dnsConfig{
		servers:  slices.Clone(host.servers),
		searches: slices.Clone(host.searches),
		options:  slices.Clone(host.options),
	}
	switch pod.Spec.DNSPolicy {
	case corev1.DNSNone:
		d = dnsConfig{}
	case corev1.DNSDefault:
		// the node's, as it is
	case corev1.DNSClusterFirst:
		if pod.Spec.HostNetwork {
			break // a hostNetwork pod's ClusterFirst is Default
		}
		fallthrough
	default:
		// ClusterFirstWithHostNet, and what the kubelet takes for
		// ClusterFirst: a policy that is not one (the API server
		// defaults an empty one), even for a hostNetwork pod.
		if len(clusterDNS) == 0 {
			break // no cluster DNS: Default
		}
		d.servers = nil
		for _, ip := range clusterDNS {
			d.servers = append(d.servers, ip.String())
		}
		d.searches = clusterSearches(pod.Namespace, clusterDomain, d.searches)
		d.options = []string{"ndots:5"}
	}
	if c := pod.Spec.DNSConfig; c != nil {
		d.servers = omitDuplicates(append(d.servers, c.Nameservers...))
		d.searches = omitDuplicates(append(d.searches, c.Searches...))
		d.options = mergeDNSOptions(d.options, c.Options)
	}
	if len(d.servers) > maxDNSNameservers {
		d.servers = d.servers[:maxDNSNameservers]
	}
	d.searches = fitSearches(d.searches)
	return d
}

// clusterSearches is the search list of a ClusterFirst pod: the cluster's
// three domains, then the node's, without duplicates; only the node's
// without a cluster domain.
func clusterSearches(namespace, clusterDomain string, node []string) []string {
	if clusterDomain == "" {
		return node
	}
	cluster := []string{namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain}
	return omitDuplicates(append(cluster, node...))
}

// omitDuplicates is list without its repeated entries, the first of each
// kept, in a new slice.
func omitDuplicates(list []string) []string {
	var out []string
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mergeDNSOptions is options with add merged in: one option per name, the
// last value given winning, written name:value, or name alone when the
// value is empty. Names keep the order they first appear in (the kubelet's
// is that of a map).
func mergeDNSOptions(options []string, add []corev1.PodDNSConfigOption) []string {
	var names []string
	values := make(map[string]string)
	set := func(name, value string) {
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = value
	}
	for _, o := range options {
		name, value, _ := strings.Cut(o, ":")
		set(name, value)
	}
	for _, o := range add {
		set(o.Name, ptr.Deref(o.Value, ""))
	}
	out := make([]string, 0, len(names))
	for _, name := range names {
		if v := values[name]; v != "" {
			out = append(out, name+":"+v)
		} else {
			out = append(out, name)
		}
	}
	return out
}

// fitSearches is searches within the kubelet's limits: the first 32, less
// those longer than a DNS subdomain may be, less as many from the end as
// the search line needs to be at most 2048 characters. It may reuse
// searches' array.
func fitSearches(searches []string) []string {
	if len(searches) > maxDNSSearchPaths {
		searches = searches[:maxDNSSearchPaths]
	}
	searches = slices.DeleteFunc(searches, func(s string) bool { return len(s) > maxDNSSearchDomainLen })
	line := len(strings.Join(searches, " "))
	for line > maxDNSSearchListChars && len(searches) > 0 {
		line -= len(searches[len(searches)-1]) + 1
		searches = searches[:len(searches)-1]
	}
	return searches
}

// resolvConf renders d as containerd writes it: search, nameservers,
// options, each line left out when empty.
func resolvConf(d dnsConfig) []byte {
	var b bytes.Buffer
	if len(d.searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(d.searches, " "))
	}
	for _, s := range d.servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(d.options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(d.options, " "))
	}
	return b.Bytes()
}
