package namespace_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// gone is nil once namespace name no longer exists.
func gone(ctx context.Context, client kubernetes.Interface, name string) func() error {
	return func() error {
		ns, err := client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("namespace %s still there: phase %s, conditions %+v", name, ns.Status.Phase, ns.Status.Conditions)
	}
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
}

func deleteNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if err := client.CoreV1().Namespaces().Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete namespace: %v", err)
	}
}

func TestDeleteNamespaceWithContent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	const ns = "doomed"
	createNamespace(t, client, ns)
	for i := range 3 {
		name := fmt.Sprintf("obj-%d", i)
		meta := metav1.ObjectMeta{Name: name, Namespace: ns}
		if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create configmap: %v", err)
		}
		if _, err := client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create secret: %v", err)
		}
		svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create service: %v", err)
		}
		pod := &corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod: %v", err)
		}
	}

	deleteNamespace(t, client, ns)
	clustertest.Poll(t, 10*time.Second, gone(ctx, client, ns))

	for _, list := range []struct {
		kind string
		list func() (int, error)
	}{
		{"configmaps", func() (int, error) {
			l, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		}},
		{"secrets", func() (int, error) {
			l, err := client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		}},
		{"services", func() (int, error) {
			l, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		}},
		{"pods", func() (int, error) {
			l, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		}},
	} {
		n, err := list.list()
		if err != nil {
			t.Fatalf("list %s: %v", list.kind, err)
		}
		if n != 0 {
			t.Errorf("%d %s left in deleted namespace %s", n, list.kind, ns)
		}
	}
}

func TestDeleteNamespaceWaitsForFinalizers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	const ns, finalizer = "held", "example.com/hold"
	createNamespace(t, client, ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Namespace: ns, Finalizers: []string{finalizer}}}
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	deleteNamespace(t, client, ns)

	want := map[corev1.NamespaceConditionType]corev1.NamespaceCondition{
		corev1.NamespaceDeletionDiscoveryFailure: {Status: corev1.ConditionFalse, Reason: "ResourcesDiscovered", Message: "All resources successfully discovered"},
		corev1.NamespaceDeletionGVParsingFailure: {Status: corev1.ConditionFalse, Reason: "ParsedGroupVersions", Message: "All legacy kube types successfully parsed"},
		corev1.NamespaceDeletionContentFailure:   {Status: corev1.ConditionFalse, Reason: "ContentDeleted", Message: "All content successfully deleted, may be waiting on finalization"},
		corev1.NamespaceContentRemaining: {Status: corev1.ConditionTrue, Reason: "SomeResourcesRemain",
			Message: "Some resources are remaining: configmaps. has 1 resource instances"},
		corev1.NamespaceFinalizersRemaining: {Status: corev1.ConditionTrue, Reason: "SomeFinalizersRemain",
			Message: "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"},
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		got, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Status.Phase != corev1.NamespaceTerminating {
			return fmt.Errorf("phase %q, want Terminating", got.Status.Phase)
		}
		if len(got.Status.Conditions) != len(want) {
			return fmt.Errorf("conditions %+v, want %d", got.Status.Conditions, len(want))
		}
		for _, c := range got.Status.Conditions {
			w, ok := want[c.Type]
			if !ok || c.Status != w.Status || c.Reason != w.Reason || c.Message != w.Message {
				return fmt.Errorf("condition %s = %s %s %q, want %s %s %q", c.Type, c.Status, c.Reason, c.Message, w.Status, w.Reason, w.Message)
			}
		}
		return nil
	})

	// The ConfigMap is Terminating, held by its finalizer.
	held, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get held configmap: %v", err)
	}
	if held.DeletionTimestamp == nil {
		t.Fatalf("held configmap has no deletionTimestamp")
	}
	got, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get namespace: %v", err)
	}
	if !slices.Contains(got.Spec.Finalizers, corev1.FinalizerKubernetes) {
		t.Errorf("namespace finalized while content remains: spec.finalizers %v", got.Spec.Finalizers)
	}

	patch := []byte(`{"metadata":{"finalizers":null}}`)
	if _, err := client.CoreV1().ConfigMaps(ns).Patch(ctx, "held", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("remove finalizer: %v", err)
	}
	// The controller looks again after upstream's finalizer estimate
	// (15s/2+1).
	clustertest.Poll(t, 30*time.Second, gone(ctx, client, ns))
}

func TestDeleteNamespaceWithManyObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("creates hundreds of objects")
	}
	t.Parallel()
	ctx := t.Context()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	const ns, n = "crowded", 300
	createNamespace(t, client, ns)
	for i := range n {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%03d", i), Namespace: ns}}
		if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create configmap %d: %v", i, err)
		}
	}
	deleteNamespace(t, client, ns)
	clustertest.Poll(t, 20*time.Second, gone(ctx, client, ns))
	l, err := client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list configmaps: %v", err)
	}
	if len(l.Items) != 0 {
		t.Errorf("%d configmaps left in deleted namespace", len(l.Items))
	}
}
