package cluster_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestRestartKeepsPods restarts a cluster as a kubelet restarts: the pod
// that ran runs on with the same IPs, container and files, the one that
// had finished stays finished, and a new pod gets an address of its own.
func TestRestartKeepsPods(t *testing.T) {
	t.Parallel()
	opts := cluster.Options{DataDir: t.TempDir()}
	c := clustertest.StartWith(t, opts)
	client := clustertest.Client(t, c)
	waitSA(t, client)
	for _, p := range []*corev1.Pod{{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
	}, {
		ObjectMeta: metav1.ObjectMeta{Name: "done"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"echo", "hi"}}}},
	}} {
		if _, err := client.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	web := waitPod(t, client, "web", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	waitPod(t, client, "done", "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	hostsPath := filepath.Join(c.SandboxDir(), "worker0", "pods", string(web.UID), "etc-hosts")
	hosts, err := os.ReadFile(hostsPath)
	if err != nil {
		t.Fatal(err)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c = clustertest.StartWith(t, opts)
	client = clustertest.Client(t, c)

	// A new pod first: it must not be handed web's addresses (done's are
	// free again: a finished pod's sandbox is gone, as on a real node).
	if _, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "new"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "new", Image: "nginx"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fresh := waitPod(t, client, "new", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	for _, ip := range fresh.Status.PodIPs {
		if slices.Contains(web.Status.PodIPs, ip) {
			t.Errorf("new pod got %s, which an older pod had", ip.IP)
		}
	}
	after, err := client.CoreV1().Pods("default").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Status.Phase != corev1.PodRunning || !slices.Equal(after.Status.PodIPs, web.Status.PodIPs) ||
		after.Status.ContainerStatuses[0].ContainerID != web.Status.ContainerStatuses[0].ContainerID ||
		after.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Errorf("web after the restart: %s %v %+v, was %v %+v", after.Status.Phase, after.Status.PodIPs,
			after.Status.ContainerStatuses, web.Status.PodIPs, web.Status.ContainerStatuses)
	}
	if b, err := os.ReadFile(hostsPath); err != nil || string(b) != string(hosts) {
		t.Errorf("web's hosts file after the restart: %q, %v; was %q", b, err, hosts)
	}
	if d, err := client.CoreV1().Pods("default").Get(t.Context(), "done", metav1.GetOptions{}); err != nil || d.Status.Phase != corev1.PodSucceeded {
		t.Errorf("done after the restart: %v %v", err, d.Status.Phase)
	}
	// The kubelet runs web's container again: its API lists it.
	raw, err := client.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/worker0/proxy/runningpods/").DoRaw(t.Context())
	if err != nil || !strings.Contains(string(raw), `"name":"web"`) {
		t.Errorf("running pods after the restart: %s, %v", raw, err)
	}
}
