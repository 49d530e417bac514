package kubelet

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
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
// GeneratePodHostNameAndDomain: spec.hostname or the pod's name, cut to
// 63 characters without a trailing '-' or '.', and with a subdomain the
// domain <subdomain>.<namespace>.svc.<clusterDomain>.
func podHostname(pod *corev1.Pod, clusterDomain string) (hostname, domain string) {
	hostname = pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	if len(hostname) > 63 {
		hostname = strings.TrimRight(hostname[:63], "-.")
	}
	if pod.Spec.Subdomain != "" {
		domain = fmt.Sprintf("%s.%s.svc.%s", pod.Spec.Subdomain, pod.Namespace, clusterDomain)
	}
	return hostname, domain
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

// podDNS is the kubelet's DNS configuration of pod for each dnsPolicy, then
// merged with spec.dnsConfig, within the kubelet's limits.
func podDNS(pod *corev1.Pod, clusterDNS []netip.Addr, clusterDomain string, host dnsConfig) dnsConfig {
	policy := pod.Spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst
	}
	if policy == corev1.DNSClusterFirst && pod.Spec.HostNetwork {
		policy = corev1.DNSDefault
	}
	if (policy == corev1.DNSClusterFirst || policy == corev1.DNSClusterFirstWithHostNet) && len(clusterDNS) == 0 {
		policy = corev1.DNSDefault
	}
	var d dnsConfig
	switch policy {
	case corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet:
		for _, ip := range clusterDNS {
			d.servers = append(d.servers, ip.String())
		}
		d.searches = append([]string{pod.Namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain}, host.searches...)
		d.options = []string{"ndots:5"}
	case corev1.DNSDefault:
		d = host
	}
	if c := pod.Spec.DNSConfig; c != nil {
		d.servers = appendNew(d.servers, c.Nameservers...)
		d.searches = appendNew(d.searches, c.Searches...)
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			d.options = slices.DeleteFunc(d.options, func(s string) bool { n, _, _ := strings.Cut(s, ":"); return n == o.Name })
			d.options = append(d.options, opt)
		}
	}
	d.searches = slices.Compact(d.searches)
	if len(d.servers) > 3 {
		d.servers = d.servers[:3]
	}
	if len(d.searches) > 32 {
		d.searches = d.searches[:32]
	}
	return d
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
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
