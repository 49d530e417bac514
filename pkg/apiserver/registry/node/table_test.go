package node

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func node(name string, mutate ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "9", CreationTimestamp: tablestest.Ago(49 * time.Hour)},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.2"}, {Type: corev1.NodeHostName, Address: name}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.37.2", OSImage: "Debian GNU/Linux 12 (bookworm)",
				KernelVersion: "6.8.0-1-amd64", ContainerRuntimeVersion: "containerd://2.1.0",
			},
		},
	}
	for _, m := range mutate {
		m(n)
	}
	return n
}

func TestTable(t *testing.T) {
	t.Parallel()
	tablestest.Golden{Name: "nodes", Table: table}.Check(t, []tablestest.Case{
		{Name: "ready worker", Obj: node("worker-1")},
		{Name: "control plane, dual-stack, with external IP", Obj: node("cp-1", func(n *corev1.Node) {
			n.Labels = map[string]string{"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master", "kubernetes.io/hostname": "cp-1"}
			n.Status.Addresses = []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: "fd00::2"},
				{Type: corev1.NodeInternalIP, Address: "172.18.0.3"},
				{Type: corev1.NodeExternalIP, Address: "203.0.113.7"},
				{Type: corev1.NodeExternalIP, Address: "2001:db8::7"},
			}
		})},
		{Name: "duplicate and empty role labels", Obj: node("roles", func(n *corev1.Node) {
			n.Labels = map[string]string{
				"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "worker",
				"node-role.kubernetes.io/": "", "node-role.kubernetes.io/infra": "true",
			}
		})},
		{Name: "not ready and cordoned", Obj: node("sick", func(n *corev1.Node) {
			n.Spec.Unschedulable = true
			n.Status.Conditions[0].Status = corev1.ConditionUnknown
		})},
		{Name: "no ready condition, no node info, no addresses", Obj: node("new", func(n *corev1.Node) {
			n.Status = corev1.NodeStatus{}
			n.Spec.Unschedulable = true
		})},
		{Name: "list", Obj: &corev1.NodeList{ListMeta: metav1.ListMeta{ResourceVersion: "100"}, Items: []corev1.Node{*node("a"), *node("b")}}},
	})
}
