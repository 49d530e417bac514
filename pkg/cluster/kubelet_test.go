package cluster_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// waitPod polls pod default/name until ok.
func waitPod(t *testing.T, client kubernetes.Interface, name, what string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		p, err := client.CoreV1().Pods("default").Get(t.Context(), name, metav1.GetOptions{})
		if err == nil {
			last = p
			if ok(p) {
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s never %s; last status %+v", name, what, last.Status)
	return nil
}

// TestSeedHostAliases is the seed's walkthrough through client-go: a pod
// runs on worker0 with an IP of each family from the node's podCIDRs, its
// hosts file on disk is the kubelet's, and a pod with hostAliases that
// prints its hosts file completes with the aliases block in its log.
func TestSeedHostAliases(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := clustertest.Client(t, c)
	waitSA(t, client)

	_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, client, "nginx", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if p.Spec.NodeName != "worker0" || len(p.Status.PodIPs) != 2 || !strings.HasPrefix(p.Status.PodIP, "10.244.") ||
		!strings.HasPrefix(p.Status.PodIPs[1].IP, "fd00:10:244:") || p.Status.HostIP != "172.18.0.2" {
		t.Fatalf("pod placed as %s %v host %s, want worker0, 10.244.x and fd00:10:244:… IPs on 172.18.0.2", p.Spec.NodeName, p.Status.PodIPs, p.Status.HostIP)
	}
	hosts, err := os.ReadFile(filepath.Join(c.SandboxDir(), "worker0", "pods", string(p.UID), "etc-hosts"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" +
		p.Status.PodIPs[0].IP + "\tnginx\n" + p.Status.PodIPs[1].IP + "\tnginx\n"
	if diff := cmp.Diff(want, string(hosts)); diff != "" {
		t.Errorf("etc-hosts (-want +got):\n%s", diff)
	}

	_, err = client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hostaliases-pod"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			HostAliases: []corev1.HostAlias{
				{IP: "127.0.0.1", Hostnames: []string{"foo.local", "bar.local"}},
				{IP: "10.1.2.3", Hostnames: []string{"foo.remote", "bar.remote"}},
			},
			Containers: []corev1.Container{{Name: "cat-hosts", Image: "busybox:1.28", Command: []string{"cat"}, Args: []string{"/etc/hosts"}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p = waitPod(t, client, "hostaliases-pod", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	if s := p.Status.ContainerStatuses[0].State.Terminated; s == nil || s.Reason != "Completed" || s.ExitCode != 0 {
		t.Errorf("container state %+v, want terminated Completed 0", p.Status.ContainerStatuses[0].State)
	}
	logs, err := client.CoreV1().Pods("default").GetLogs("hostaliases-pod", &corev1.PodLogOptions{}).DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" +
		p.Status.PodIPs[0].IP + "\thostaliases-pod\n" + p.Status.PodIPs[1].IP + "\thostaliases-pod\n" +
		"\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\tbar.remote\n"
	if diff := cmp.Diff(want, string(logs)); diff != "" {
		t.Errorf("kubectl logs (-want +got):\n%s", diff)
	}

	// Deleting a pod frees its IP and removes its folder.
	nginx, _ := client.CoreV1().Pods("default").Get(t.Context(), "nginx", metav1.GetOptions{})
	if err := client.CoreV1().Pods("default").Delete(t.Context(), "nginx", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := client.CoreV1().Pods("default").Get(t.Context(), "nginx", metav1.GetOptions{})
		_, statErr := os.Stat(filepath.Join(c.SandboxDir(), "worker0", "pods", string(nginx.UID)))
		if err != nil && os.IsNotExist(statErr) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not gone after delete: get %v, folder %v", err, statErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSA waits for the default ServiceAccount, which pods need.
func waitSA(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := client.CoreV1().ServiceAccounts("default").Get(t.Context(), "default", metav1.GetOptions{}); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no default service account")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
