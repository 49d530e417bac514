package namespace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// These tests drive a real API server with client-go: the behaviour lives in
// how the registry's storage answers requests.

func startClient(t *testing.T) (kubernetes.Interface, context.Context) {
	t.Helper()
	return clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{})), t.Context()
}

func TestNamespaceDeletionWaitsForFinalize(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	namespaces := client.CoreV1().Namespaces()
	ns, err := namespaces.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]corev1.FinalizerName{corev1.FinalizerKubernetes}, ns.Spec.Finalizers); diff != "" {
		t.Fatalf("finalizers of a new namespace (-want +got):\n%s", diff)
	}
	for range 2 { // deleting again changes nothing until finalized
		if err := namespaces.Delete(ctx, "t", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if ns, err = namespaces.Get(ctx, "t", metav1.GetOptions{}); err != nil {
			t.Fatalf("namespace gone before it was finalized: %v", err)
		}
		if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
			t.Fatalf("phase %q deletionTimestamp %v, want Terminating and set", ns.Status.Phase, ns.DeletionTimestamp)
		}
	}
	_, err = client.CoreV1().ConfigMaps("t").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "because it is being terminated") {
		t.Fatalf("create in a terminating namespace: %v", err)
	}
	// Status updates (the namespace controller's conditions) keep it too.
	ns.Status.Conditions = []corev1.NamespaceCondition{{Type: corev1.NamespaceContentRemaining, Status: corev1.ConditionTrue}}
	if ns, err = namespaces.UpdateStatus(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status of a terminating namespace: %v", err)
	}
	if _, err := namespaces.Get(ctx, "t", metav1.GetOptions{}); err != nil {
		t.Fatalf("namespace gone after a status update, before it was finalized: %v", err)
	}
	ns.Spec.Finalizers = nil
	if _, err := namespaces.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := namespaces.Get(ctx, "t", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("finalized terminating namespace: %v, want NotFound", err)
	}
}
