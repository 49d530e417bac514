package cluster_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestPodFamilies runs a pod in single-stack and dual-stack clusters of
// either family order: its IPs come from the node's pod CIDRs in the
// cluster's order, the node's InternalIPs follow the same order, and the
// hosts file has a line per pod IP.
func TestPodFamilies(t *testing.T) {
	t.Parallel()
	p := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, x := range s {
			out = append(out, netip.MustParsePrefix(x))
		}
		return out
	}
	const (
		svc4, svc6   = "10.96.0.0/16", "fd00:10:96::/108"
		pod4, pod6   = "10.244.0.0/16", "fd00:10:244::/56"
		node4, node6 = "172.18.0.0/16", "fc00:f853:ccd:e793::/64"
		lb4, lb6     = "172.18.255.0/24", "fc00:f853:ccd:e793:ffff::/112"
	)
	for _, tc := range []struct {
		name               string
		svc, pod, node, lb []string
		podIPs, hostIPs    []string
	}{
		{"IPv4", []string{svc4}, []string{pod4}, []string{node4}, []string{lb4}, []string{"10.244.0.2"}, []string{"172.18.0.2"}},
		{"IPv6", []string{svc6}, []string{pod6}, []string{node6}, []string{lb6}, []string{"fd00:10:244::2"}, []string{"fc00:f853:ccd:e793::2"}},
		{"IPv4-first", []string{svc4, svc6}, []string{pod4, pod6}, []string{node4, node6}, []string{lb4, lb6},
			[]string{"10.244.0.2", "fd00:10:244::2"}, []string{"172.18.0.2", "fc00:f853:ccd:e793::2"}},
		{"IPv6-first", []string{svc6, svc4}, []string{pod6, pod4}, []string{node6, node4}, []string{lb6, lb4},
			[]string{"fd00:10:244::2", "10.244.0.2"}, []string{"fc00:f853:ccd:e793::2", "172.18.0.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := clustertest.StartWith(t, cluster.Options{
				ServiceClusterIPRanges: p(tc.svc...), ClusterCIDRs: p(tc.pod...),
				NodeIPRanges: p(tc.node...), LoadBalancerIPRanges: p(tc.lb...),
			})
			client := clustertest.Client(t, c)
			waitSA(t, client)
			_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pod := waitPod(t, client, "web", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
			var podIPs, hostIPs []string
			for _, ip := range pod.Status.PodIPs {
				podIPs = append(podIPs, ip.IP)
			}
			for _, ip := range pod.Status.HostIPs {
				hostIPs = append(hostIPs, ip.IP)
			}
			if strings.Join(podIPs, ",") != strings.Join(tc.podIPs, ",") || pod.Status.PodIP != tc.podIPs[0] {
				t.Errorf("pod IPs %v (podIP %s), want %v", podIPs, pod.Status.PodIP, tc.podIPs)
			}
			if strings.Join(hostIPs, ",") != strings.Join(tc.hostIPs, ",") {
				t.Errorf("host IPs %v, want %v", hostIPs, tc.hostIPs)
			}
			hosts, err := os.ReadFile(filepath.Join(c.SandboxDir(), "worker0", "pods", string(pod.UID), "etc-hosts"))
			if err != nil {
				t.Fatal(err)
			}
			for _, ip := range tc.podIPs {
				if !strings.Contains(string(hosts), ip+"\tweb\n") {
					t.Errorf("hosts file has no line for %s:\n%s", ip, hosts)
				}
			}
			resolv, err := os.ReadFile(filepath.Join(c.SandboxDir(), "worker0", "pods", string(pod.UID), "resolv.conf"))
			if err != nil {
				t.Fatal(err)
			}
			dns := map[string]string{svc4: "10.96.0.10", svc6: "fd00:10:96::a"}[tc.svc[0]]
			if !strings.HasPrefix(string(resolv), "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver "+dns+"\n") {
				t.Errorf("resolv.conf, want nameserver %s:\n%s", dns, resolv)
			}
		})
	}
}
