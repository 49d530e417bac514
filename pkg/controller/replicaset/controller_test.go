package replicaset_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

const timeout = 30 * time.Second

func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	labels := map[string]string{"app": name}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
			},
		},
	}
}

// owned lists the pods rs controls, by name.
func owned(ctx context.Context, client kubernetes.Interface, rs *appsv1.ReplicaSet) (map[string]*corev1.Pod, error) {
	pods, err := client.CoreV1().Pods(rs.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]*corev1.Pod{}
	for i, p := range pods.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.UID == rs.UID && p.DeletionTimestamp == nil {
			out[p.Name] = &pods.Items[i]
		}
	}
	return out, nil
}

// waitReady waits until rs has want pods and its status says all are ready
// and available for its current generation.
func waitReady(t *testing.T, client kubernetes.Interface, rs *appsv1.ReplicaSet, want int) map[string]*corev1.Pod {
	t.Helper()
	ctx := t.Context()
	var pods map[string]*corev1.Pod
	clustertest.Poll(t, timeout, func() error {
		got, err := client.AppsV1().ReplicaSets(rs.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pods, err = owned(ctx, client, got); err != nil {
			return err
		}
		s := got.Status
		if len(pods) != want || s.Replicas != int32(want) || s.ReadyReplicas != int32(want) || s.AvailableReplicas != int32(want) ||
			s.FullyLabeledReplicas != int32(want) || s.ObservedGeneration != got.Generation {
			return fmt.Errorf("%d pods, status %+v; want %d ready", len(pods), s, want)
		}
		return nil
	})
	return pods
}

// TestReplicaSetKeepsItsPods runs a ReplicaSet on a cluster with kubelets:
// it adopts a matching orphan and creates the rest, scales down keeping
// the pod that costs most to delete, replaces a pod whose labels stop
// matching (released, not deleted), and replaces a deleted pod.
func TestReplicaSetKeepsItsPods(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.Start(t))
	ctx := t.Context()
	rs := replicaSet("web", 3)

	orphan := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default", Labels: rs.Spec.Template.Labels,
			Annotations: map[string]string{"controller.kubernetes.io/pod-deletion-cost": "100"}},
		Spec: rs.Spec.Template.Spec,
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rs, err := client.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods := waitReady(t, client, rs, 3)
	if pods["orphan"] == nil {
		t.Errorf("orphan not adopted: pods %v", keys(pods))
	}

	if _, err := client.AppsV1().ReplicaSets("default").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	pods = waitReady(t, client, rs, 1)
	if pods["orphan"] == nil {
		t.Errorf("scaled down to %v, want the costly pod kept", keys(pods))
	}

	if _, err := client.CoreV1().Pods("default").Patch(ctx, "orphan", types.MergePatchType, []byte(`{"metadata":{"labels":{"app":"gone"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, timeout, func() error {
		released, err := client.CoreV1().Pods("default").Get(ctx, "orphan", metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("relabelled pod: %w", err)
		}
		if ref := metav1.GetControllerOf(released); ref != nil {
			return fmt.Errorf("relabelled pod still controlled by %s", ref.Name)
		}
		return nil
	})
	if pods = waitReady(t, client, rs, 1); pods["orphan"] != nil {
		t.Errorf("relabelled pod still counted: %v", keys(pods))
	}

	for name := range pods {
		if err := client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
		if again := waitReady(t, client, rs, 1); again[name] != nil {
			t.Errorf("deleted pod %s still owned", name)
		}
	}
}

func keys(m map[string]*corev1.Pod) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
