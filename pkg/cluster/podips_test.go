package cluster_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestPodRangeExhausted fills a node's pod CIDR: the pod that finds no
// address left stays ContainerCreating with the FailedCreatePodSandBox
// event host-local's error gives, never a duplicate address, and gets one
// once a pod is deleted.
func TestPodRangeExhausted(t *testing.T) {
	t.Parallel()
	pre := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	c := clustertest.StartWith(t, cluster.Options{
		ServiceClusterIPRanges: pre("10.96.0.0/16"), ClusterCIDRs: pre("10.244.0.0/16"), NodeCIDRMaskSizeIPv4: 29,
		NodeIPRanges: pre("172.18.0.0/16"), LoadBalancerIPRanges: pre("172.18.255.0/24"),
	})
	client := clustertest.Client(t, c)
	waitSA(t, client)
	// A /29 has 8 addresses: the network, the gateway, five for pods and
	// the broadcast address, as host-local hands them out.
	seen := map[string]string{}
	for i := range 6 {
		name := "p" + string(rune('0'+i))
		_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "3600"}}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			break
		}
		p := waitPod(t, client, name, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
		if other, dup := seen[p.Status.PodIP]; dup {
			t.Errorf("%s and %s both have %s", name, other, p.Status.PodIP)
		}
		seen[p.Status.PodIP] = name
	}
	var msg string
	for deadline := time.Now().Add(30 * time.Second); msg == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		events, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=p5,reason=FailedCreatePodSandBox"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events.Items) > 0 {
			msg = events.Items[0].Message
		}
	}
	if !strings.Contains(msg, "no IP addresses available in range set: 10.244.0.1-10.244.0.6") {
		t.Errorf("FailedCreatePodSandBox message %q", msg)
	}
	p, err := client.CoreV1().Pods("default").Get(t.Context(), "p5", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.PodIP != "" || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil ||
		p.Status.ContainerStatuses[0].State.Waiting.Reason != "ContainerCreating" {
		t.Errorf("p5 without an address: %+v", p.Status)
	}
	if err := client.CoreV1().Pods("default").Delete(t.Context(), "p0", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, client, "p5", "Running once p0 is gone", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
}
