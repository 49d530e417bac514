package apiserver_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestTaintNodesByCondition creates Nodes as a user or kubelet would and
// checks the taints kube-apiserver's TaintNodesByCondition admission gives
// them: the not-ready NoSchedule taint appended, once.
func TestTaintNodesByCondition(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name  string
		given []corev1.Taint
		want  []corev1.Taint
	}{
		{name: "no taints", want: []corev1.Taint{notReady}},
		{
			name:  "a user's taint is kept, first",
			given: []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoExecute}},
			want:  []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoExecute}, notReady},
		},
		{
			name:  "already tainted not-ready NoSchedule, with a value",
			given: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Value: "x", Effect: corev1.TaintEffectNoSchedule}},
			want:  []corev1.Taint{{Key: corev1.TaintNodeNotReady, Value: "x", Effect: corev1.TaintEffectNoSchedule}},
		},
		{
			name:  "not-ready NoExecute is another taint",
			given: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}},
			want:  []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}, notReady},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-" + string(rune('a'+i))}, Spec: corev1.NodeSpec{Taints: tc.given}}
			got, err := client.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create node: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.Spec.Taints); diff != "" {
				t.Errorf("taints on create (-want +got):\n%s", diff)
			}
			stored, err := client.CoreV1().Nodes().Get(t.Context(), node.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get node: %v", err)
			}
			if diff := cmp.Diff(tc.want, stored.Spec.Taints); diff != "" {
				t.Errorf("stored taints (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTaintNodesByConditionOnlyOnCreate removes the admission's taint and
// checks that an update does not bring it back, and that a dry-run create
// shows the taint without storing the Node.
func TestTaintNodesByConditionOnlyOnCreate(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	nodes := client.CoreV1().Nodes()

	dry, err := nodes.Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if len(dry.Spec.Taints) != 1 || dry.Spec.Taints[0].Key != corev1.TaintNodeNotReady {
		t.Errorf("dry-run create taints = %v, want the not-ready NoSchedule taint", dry.Spec.Taints)
	}
	if _, err := nodes.Get(t.Context(), "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get dry-run node: err = %v, want NotFound", err)
	}

	node, err := nodes.Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker0"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node: %v", err)
	}
	node.Spec.Taints = nil
	updated, err := nodes.Update(t.Context(), node, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update node: %v", err)
	}
	if len(updated.Spec.Taints) != 0 {
		t.Errorf("taints after an update that removed them = %v, want none", updated.Spec.Taints)
	}
}
