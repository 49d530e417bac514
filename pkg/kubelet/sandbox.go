package kubelet

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/fakecluster/fakecluster/pkg/kubelet/logs"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
)

// sandbox is what a pod has on the node once its sandbox is up: IPs and
// the kubelet's files, in the pod's folder.
type sandbox struct {
	dir      string
	ips      []netip.Addr
	hostname string // what `hostname` prints in the pod
	// volumes are the pod's volumes on disk, by name.
	volumes map[string]volumes.Mounted
	// pod is the runtime's sandbox the pod's containers share.
	pod *runtime.Sandbox
}

// createSandbox gives pod its IPs (the node's for hostNetwork pods) and
// writes its hosts file, hostname and resolv.conf into its folder.
func (k *Kubelet) createSandbox(ctx context.Context, pod *corev1.Pod) (*sandbox, error) {
	// The UID comes from the API server, but check it again: it names a
	// folder, and nothing a request says may write outside the sandbox.
	if msgs := content.IsPathSegmentName(string(pod.UID)); len(msgs) > 0 || pod.UID == "" {
		return nil, fmt.Errorf("pod UID %q cannot name a folder", pod.UID)
	}
	sb := &sandbox{dir: k.podDir(pod.UID)}
	// Volumes come first, as the kubelet mounts them before it asks the
	// runtime for a sandbox.
	vols, err := volumes.Setup(ctx, k.volumeDirs(pod.UID), pod, apiSource{k})
	if err != nil {
		return nil, err
	}
	sb.volumes = vols
	hostname, domain, err := podHostname(pod, k.cfg.ClusterDomain)
	if err != nil {
		return nil, err
	}
	var hosts []byte
	if pod.Spec.HostNetwork {
		sb.ips = k.cfg.NodeIPs
		hostname, domain = k.cfg.NodeName, ""
		hosts = hostNetworkHostsFile(nodeHostsFile(k.cfg.NodeName, k.cfg.NodeIPs), pod.Spec.HostAliases)
	} else {
		ips, err := k.ips.allocate(string(pod.UID))
		if err != nil {
			return nil, fmt.Errorf("rpc error: code = Unknown desc = failed to setup network for sandbox %q: plugin type=\"host-local\" failed (add): %w", newContainerID(), err)
		}
		sb.ips = ips
		hosts = hostsFile(ips, hostname, domain, pod.Spec.HostAliases)
	}
	kernel, err := kernelHostname(pod, hostname, domain)
	if err != nil {
		return nil, err
	}
	sb.hostname = kernel
	var prefixes []netip.Prefix
	for _, ip := range sb.ips {
		prefixes = append(prefixes, k.ips.prefixOf(ip))
	}
	sb.pod = k.cfg.Runtime.NewSandbox(runtime.SandboxConfig{Hostname: kernel, PodIPs: prefixes})
	dns := podDNS(pod, k.cfg.ClusterDNS, k.cfg.ClusterDomain, hostDNS(k.cfg.NodeIPs))
	if err := os.MkdirAll(sb.dir, 0o750); err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{
		"etc-hosts":    hosts,
		"etc-hostname": []byte(kernel + "\n"),
		"resolv.conf":  resolvConf(dns),
	} {
		if err := writeAtomic(sb.dir, name, data); err != nil {
			return nil, err
		}
	}
	return sb, nil
}

// nodeHostsFile is the node's own /etc/hosts, which hostNetwork pods see.
func nodeHostsFile(name string, ips []netip.Addr) []byte {
	b := []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	for _, ip := range ips {
		b = append(b, fmt.Sprintf("%s\t%s\n", ip, name)...)
	}
	return b
}

// writeAtomic writes dir/name through a temporary file and a rename, so a
// reader sees the old file or the new one, never half of one. name must be
// a plain file name.
func writeAtomic(dir, name string, data []byte) error {
	if name != filepath.Base(name) || name == "." || name == ".." {
		return fmt.Errorf("write %q: not a plain file name", name)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tmp := "." + name + ".tmp"
	if err := root.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return root.Rename(tmp, name)
}

// podLogDir is the pod's folder of container logs, as the kubelet names
// it: logs/pods/<namespace>_<name>_<uid>.
func (k *Kubelet) podLogDir(pod *corev1.Pod) (string, error) {
	return logs.PodDir(k.cfg.SandboxDir, k.cfg.NodeName, pod.Namespace, pod.Name, pod.UID)
}

// openLog creates the log file of a container's restart'th instance and
// points cfg's stdout and stderr at it.
func (k *Kubelet) openLog(pod *corev1.Pod, container string, restart int32, cfg *containerConfig) (*logs.Writer, error) {
	path, err := logs.ContainerPath(k.cfg.SandboxDir, k.cfg.NodeName, pod.Namespace, pod.Name, pod.UID, container, int(restart))
	if err != nil {
		return nil, err
	}
	w, err := logs.Create(path, logs.Options{Clock: k.clock})
	if err != nil {
		return nil, err
	}
	cfg.Stdout, cfg.Stderr = w.Stdout(), w.Stderr()
	return w, nil
}
