package pod_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// These tests drive a real API server with client-go: the behaviour lives in
// how the registry's storage answers requests.

func newPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

func startClient(t *testing.T) (kubernetes.Interface, context.Context) {
	t.Helper()
	return clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{})), t.Context()
}

func TestBindingAssignsOnceAndDeletionBecomesGraceful(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	pods := client.CoreV1().Pods("default")
	if _, err := pods.Create(ctx, newPod("p"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind := func(node string) error {
		return pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Target: corev1.ObjectReference{Kind: "Node", Name: node}}, metav1.CreateOptions{})
	}
	if err := bind("worker0"); err != nil {
		t.Fatal(err)
	}
	err := bind("worker1")
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `pod p is already assigned to node "worker0"`) {
		t.Fatalf("second binding: %v, want a conflict naming worker0", err)
	}
	got, err := pods.Get(ctx, "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.NodeName != "worker0" || len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Type != corev1.PodScheduled {
		t.Fatalf("bound pod: node %q conditions %v", got.Spec.NodeName, got.Status.Conditions)
	}
	// A bound pod waits for its kubelet: deletion only marks it.
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err = pods.Get(ctx, "p", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("bound pod gone at once after a graceful delete: %v", err)
	}
	if got.DeletionTimestamp == nil || ptr.Deref(got.DeletionGracePeriodSeconds, -1) != 30 {
		t.Fatalf("deletion timestamp %v grace %v, want set and 30", got.DeletionTimestamp, got.DeletionGracePeriodSeconds)
	}
	if err := bind("worker1"); err == nil || !strings.Contains(err.Error(), "is being deleted, cannot be assigned to a host") {
		t.Fatalf("binding a terminating pod: %v", err)
	}
	if err := pods.Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after a zero-grace delete: %v, want NotFound", err)
	}
}

func TestUnscheduledPodIsDeletedAtOnceAndEvictionDeletes(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	pods := client.CoreV1().Pods("default")
	for _, name := range []string{"a", "b"} {
		if _, err := pods.Create(ctx, newPod(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pods.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("unscheduled pod after delete: %v, want NotFound", err)
	}
	if err := pods.EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "default"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.Get(ctx, "b", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("evicted pod: %v, want NotFound", err)
	}
}

func TestPodStreamsFailLikeAnUnreachableNode(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	pods := client.CoreV1().Pods("default")
	two := newPod("two")
	two.Spec.Containers = append(two.Spec.Containers, corev1.Container{Name: "d", Image: "busybox"})
	for _, p := range []*corev1.Pod{newPod("one"), two} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	execErr := func(pod, container string) error {
		return client.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name(pod).SubResource("exec").
			Param("container", container).Param("command", "true").Param("stdout", "true").Do(ctx).Error()
	}
	tests := []struct {
		name, pod, container, want string
	}{
		{"unscheduled", "one", "", "pod one does not have a host assigned"},
		{"unknown container", "one", "nope", "container nope is not valid for pod one"},
		{"ambiguous container", "two", "", "a container name must be specified for pod two, choose one of: [c d]"},
	}
	for _, tt := range tests {
		if err := execErr(tt.pod, tt.container); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: exec error %v, want BadRequest %q", tt.name, err, tt.want)
		}
	}
	// An unscheduled pod has no logs yet: empty, not an error.
	logs, err := pods.GetLogs("one", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || len(logs) != 0 {
		t.Fatalf("logs of an unscheduled pod: %q, %v", logs, err)
	}
	if err := pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "one"}, Target: corev1.ObjectReference{Name: "ghost"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pods.GetLogs("one", &corev1.PodLogOptions{}).Stream(ctx); !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `nodes "ghost" not found`) {
		t.Fatalf("logs on a missing node: %v", err)
	}
}
