package registry_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry"
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

func TestQueryConversionsDecodeStreamOptions(t *testing.T) {
	t.Parallel()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := registry.AddQueryConversions(scheme); err != nil {
		t.Fatal(err)
	}
	codec := runtime.NewParameterCodec(scheme)
	tests := []struct {
		name  string
		query string
		into  runtime.Object
		want  runtime.Object
	}{
		{"exec", "container=c&command=ls&command=-l&stdin=true&tty=1", &corev1.PodExecOptions{},
			&corev1.PodExecOptions{Container: "c", Command: []string{"ls", "-l"}, Stdin: true, TTY: true}},
		{"log", "follow=true&tailLines=10&sinceSeconds=5", &corev1.PodLogOptions{},
			&corev1.PodLogOptions{Follow: true, TailLines: ptr.To[int64](10), SinceSeconds: ptr.To[int64](5)}},
		{"portforward", "ports=80&ports=443", &corev1.PodPortForwardOptions{},
			&corev1.PodPortForwardOptions{Ports: []int32{80, 443}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if err := codec.DecodeParameters(values, corev1.SchemeGroupVersion, tt.into); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.into); diff != "" {
				t.Errorf("decoded options (-want +got):\n%s", diff)
			}
		})
	}
	bad, _ := url.ParseQuery("tailLines=ten")
	if err := codec.DecodeParameters(bad, corev1.SchemeGroupVersion, &corev1.PodLogOptions{}); err == nil || !strings.Contains(err.Error(), `"tailLines"`) {
		t.Errorf("malformed tailLines: %v, want an error naming it", err)
	}
}

func TestEventsAreSharedBetweenCoreAndEventsV1(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	_, err := client.EventsV1().Events("default").Create(ctx, &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "new-api"}, EventTime: metav1.NowMicro(),
		ReportingController: "test/ctl", ReportingInstance: "i1", Action: "Test", Reason: "Testing",
		Type: corev1.EventTypeNormal, Note: "hello", Regarding: corev1.ObjectReference{Kind: "Pod", Name: "x", Namespace: "default"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().Events("default").Create(ctx, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "old-api"}, Reason: "Core", Message: "from core", Type: corev1.EventTypeWarning,
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "y", Namespace: "default"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	core, err := client.CoreV1().Events("default").Get(ctx, "new-api", metav1.GetOptions{})
	if err != nil || core.Message != "hello" || core.InvolvedObject.Name != "x" || core.ReportingController != "test/ctl" {
		t.Fatalf("events.k8s.io event read as core/v1: %+v, %v", core, err)
	}
	v1, err := client.EventsV1().Events("default").Get(ctx, "old-api", metav1.GetOptions{})
	if err != nil || v1.Note != "from core" || v1.Regarding.Name != "y" {
		t.Fatalf("core event read as events.k8s.io/v1: %+v, %v", v1, err)
	}
	for _, list := range []func() (int, error){
		func() (int, error) {
			l, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		},
		func() (int, error) {
			l, err := client.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
			return len(l.Items), err
		},
	} {
		if n, err := list(); err != nil || n != 2 {
			t.Errorf("list: %d events, %v; want both", n, err)
		}
	}
}
