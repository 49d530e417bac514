package podgc_test

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
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/podgc"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// finalizer keeps a deleted pod readable, so that a test can see how the
// collector left it.
const finalizer = "example.com/keep"

// setup starts an API server with no controllers or kubelets and creates
// the default ServiceAccount; run starts the collector.
func setup(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: metav1.NamespaceDefault}}
	if _, err := client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service account: %v", err)
	}
	return client
}

func run(t *testing.T, client kubernetes.Interface, opts podgc.Options) {
	t.Helper()
	opts.GCCheckPeriod = 100 * time.Millisecond
	factory := informers.NewSharedInformerFactory(client, 0)
	gc, err := podgc.New(client, factory, opts)
	if err != nil {
		t.Fatalf("podgc.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { gc.Run(ctx, 2) })
}

func createNode(t *testing.T, client kubernetes.Interface, name string, ready corev1.ConditionStatus, taints ...corev1.Taint) {
	t.Helper()
	node, err := client.CoreV1().Nodes().Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, LastHeartbeatTime: metav1.Now()}}
	if _, err := client.CoreV1().Nodes().UpdateStatus(t.Context(), node, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status of node %s: %v", name, err)
	}
}

// createPod creates pod name bound to node ("" for none) in phase, kept by
// the test's finalizer if keep.
func createPod(t *testing.T, client kubernetes.Interface, name, node string, phase corev1.PodPhase, keep bool) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: corev1.PodSpec{NodeName: node, AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if keep {
		pod.Finalizers = []string{finalizer}
		t.Cleanup(func() { release(t, client, name) })
	}
	created, err := client.CoreV1().Pods(metav1.NamespaceDefault).Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	if phase != corev1.PodPending {
		created.Status.Phase = phase
		if phase == corev1.PodFailed && name == "evicted" {
			created.Status.Reason = "Evicted"
		}
		if _, err := client.CoreV1().Pods(metav1.NamespaceDefault).UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status of pod %s: %v", name, err)
		}
	}
}

// release removes the test's finalizer from pod name, if it is still there.
func release(t *testing.T, client kubernetes.Interface, name string) {
	_, err := client.CoreV1().Pods(metav1.NamespaceDefault).Patch(context.Background(), name, types.JSONPatchType,
		[]byte(`[{"op":"remove","path":"/metadata/finalizers"}]`), metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
		t.Errorf("release pod %s: %v", name, err)
	}
}

func getPod(t *testing.T, client kubernetes.Interface, name string) (*corev1.Pod, error) {
	return client.CoreV1().Pods(metav1.NamespaceDefault).Get(t.Context(), name, metav1.GetOptions{})
}

// waitForceDeleted waits until pod name, kept by the finalizer, is Failed
// and deleted with grace period 0.
func waitForceDeleted(t *testing.T, client kubernetes.Interface, name string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	clustertest.Poll(t, 10*time.Second, func() error {
		var err error
		if pod, err = getPod(t, client, name); err != nil {
			return err
		}
		if pod.DeletionTimestamp == nil || pod.DeletionGracePeriodSeconds == nil || *pod.DeletionGracePeriodSeconds != 0 {
			return fmt.Errorf("pod %s deletion %v grace %v, want deleted with grace 0", name, pod.DeletionTimestamp, pod.DeletionGracePeriodSeconds)
		}
		if pod.Status.Phase != corev1.PodFailed {
			return fmt.Errorf("pod %s phase %s, want Failed", name, pod.Status.Phase)
		}
		return nil
	})
	return pod
}

func waitGone(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		if _, err := getPod(t, client, name); !apierrors.IsNotFound(err) {
			return fmt.Errorf("pod %s still there (err %v)", name, err)
		}
		return nil
	})
}

func podNames(t *testing.T, client kubernetes.Interface) []string {
	t.Helper()
	list, err := client.CoreV1().Pods(metav1.NamespaceDefault).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

func TestOrphanedPodsAreDeletedAfterQuarantine(t *testing.T) {
	t.Parallel()
	client := setup(t)
	createNode(t, client, "worker0", corev1.ConditionTrue)
	createPod(t, client, "on-live-node", "worker0", corev1.PodRunning, false)
	createPod(t, client, "orphan", "gone", corev1.PodRunning, true)
	createPod(t, client, "orphan-done", "gone", corev1.PodSucceeded, false)
	start := time.Now()
	run(t, client, podgc.Options{QuarantineTime: time.Second})

	pod := waitForceDeleted(t, client, "orphan")
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("orphan deleted after %v, within the 1s quarantine", waited)
	}
	var found bool
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget {
			found = true
			if c.Status != corev1.ConditionTrue || c.Reason != "DeletionByPodGC" || c.Message != "PodGC: node no longer exists" {
				t.Errorf("DisruptionTarget %+v, want True DeletionByPodGC", c)
			}
		}
	}
	if !found {
		t.Errorf("orphan has no DisruptionTarget condition: %+v", pod.Status.Conditions)
	}
	waitGone(t, client, "orphan-done")
	if got := podNames(t, client); !slices.Equal(got, []string{"on-live-node"}) {
		t.Errorf("pods left %q, want the one on the live node", got)
	}
}

func TestTerminatedPodThreshold(t *testing.T) {
	t.Parallel()
	client := setup(t)
	createNode(t, client, "worker0", corev1.ConditionTrue)
	// Created in name order; evicted last but deleted first.
	for _, name := range []string{"a", "b", "c", "d"} {
		createPod(t, client, name, "worker0", corev1.PodSucceeded, false)
	}
	createPod(t, client, "evicted", "worker0", corev1.PodFailed, false)
	createPod(t, client, "running", "worker0", corev1.PodRunning, false)
	run(t, client, podgc.Options{TerminatedPodGCThreshold: 3})

	waitGone(t, client, "evicted")
	waitGone(t, client, "a")
	time.Sleep(300 * time.Millisecond) // several more passes
	if got, want := podNames(t, client), []string{"b", "c", "d", "running"}; !slices.Equal(got, want) {
		t.Errorf("pods left %q, want %q", got, want)
	}
}

func TestTerminatingPods(t *testing.T) {
	t.Parallel()
	client := setup(t)
	outOfService := corev1.Taint{Key: corev1.TaintNodeOutOfService, Value: "nodeshutdown", Effect: corev1.TaintEffectNoExecute}
	createNode(t, client, "shut-down", corev1.ConditionUnknown, outOfService)
	createNode(t, client, "ready-but-tainted", corev1.ConditionTrue, outOfService)
	createNode(t, client, "not-ready", corev1.ConditionFalse)
	createPod(t, client, "on-shut-down", "shut-down", corev1.PodRunning, true)
	createPod(t, client, "alive-on-shut-down", "shut-down", corev1.PodRunning, false)
	createPod(t, client, "on-ready", "ready-but-tainted", corev1.PodRunning, false)
	createPod(t, client, "on-not-ready", "not-ready", corev1.PodRunning, false)
	createPod(t, client, "unscheduled", "", corev1.PodPending, true)
	for _, name := range []string{"on-shut-down", "on-ready", "on-not-ready", "unscheduled"} {
		if err := client.CoreV1().Pods(metav1.NamespaceDefault).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete pod %s: %v", name, err)
		}
	}
	run(t, client, podgc.Options{})

	waitForceDeleted(t, client, "on-shut-down")
	waitForceDeleted(t, client, "unscheduled")
	time.Sleep(300 * time.Millisecond)
	for _, name := range []string{"on-ready", "on-not-ready"} {
		pod, err := getPod(t, client, name)
		if err != nil {
			t.Fatalf("pod %s: %v", name, err)
		}
		if pod.Status.Phase != corev1.PodRunning || *pod.DeletionGracePeriodSeconds == 0 {
			t.Errorf("pod %s phase %s grace %d: collected, want left to its kubelet", name, pod.Status.Phase, *pod.DeletionGracePeriodSeconds)
		}
	}
	if pod, err := getPod(t, client, "alive-on-shut-down"); err != nil || pod.DeletionTimestamp != nil {
		t.Errorf("pod not being deleted on an out-of-service node: err %v, deletion %v; want it left alone", err, pod.DeletionTimestamp)
	}
}
