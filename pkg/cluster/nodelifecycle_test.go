package cluster_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestNodeGoesUnknown restarts a two-node cluster with one node: the node
// whose kubelet is gone stops renewing its Lease, goes Unknown after the
// grace period with the unreachable taints, and its pod that tolerates
// them for a second is marked for deletion, while the other node stays
// Ready and keeps its pod. The grace period is longer than the 10 s a
// kubelet renews its Lease in, as it must be.
func TestNodeGoesUnknown(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster and waits for a grace period")
	}
	t.Parallel()
	opts := cluster.Options{DataDir: t.TempDir(), Nodes: 2, NodeMonitorGracePeriod: 12 * time.Second}
	c := clustertest.StartWith(t, opts)
	client := clustertest.Client(t, c)
	waitSA(t, client)
	for _, node := range []string{"worker0", "worker1"} {
		_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "on-" + node},
			Spec: corev1.PodSpec{
				NodeName:   node,
				Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "3600"}}},
				Tolerations: []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
					Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		waitPod(t, client, "on-"+node, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	opts.Nodes = 1
	c = clustertest.StartWith(t, opts)
	client = clustertest.Client(t, c)

	deadline := time.Now().Add(45 * time.Second)
	var node *corev1.Node
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n, err := client.CoreV1().Nodes().Get(t.Context(), "worker1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node = n
		if readyStatus(n) == corev1.ConditionUnknown && hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
			break
		}
	}
	if readyStatus(node) != corev1.ConditionUnknown || !hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
		t.Fatalf("worker1 never went Unknown with the unreachable taint: %+v %+v", node.Status.Conditions, node.Spec.Taints)
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && (cond.Reason != "NodeStatusUnknown" || cond.Message != "Kubelet stopped posting node status.") {
			t.Errorf("worker1's Ready condition: %+v", cond)
		}
	}
	waitPod(t, client, "on-worker1", "marked for deletion", func(p *corev1.Pod) bool { return p.DeletionTimestamp != nil })

	w0, err := client.CoreV1().Nodes().Get(t.Context(), "worker0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if readyStatus(w0) != corev1.ConditionTrue {
		t.Errorf("worker0 is %s", readyStatus(w0))
	}
	p, err := client.CoreV1().Pods("default").Get(t.Context(), "on-worker0", metav1.GetOptions{})
	if err != nil || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		t.Errorf("the pod on worker0 after the restart: %v %+v", err, p)
	}
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func hasTaint(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}
