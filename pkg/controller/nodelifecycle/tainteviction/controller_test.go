package tainteviction_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle/tainteviction"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// start runs an API server with no controllers or kubelets and the taint
// eviction controller against it, with a Node worker0 and the default
// ServiceAccount.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: metav1.NamespaceDefault}}
	if _, err := client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service account: %v", err)
	}
	if _, err := client.CoreV1().Nodes().Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker0"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node: %v", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := tainteviction.New(client, factory)
	if err != nil {
		t.Fatalf("tainteviction.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { ctrl.Run(ctx, 2) })
	return client
}

func createPod(t *testing.T, client kubernetes.Interface, name string, tolerations ...corev1.Toleration) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: corev1.PodSpec{NodeName: "worker0", Tolerations: tolerations, AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if _, err := client.CoreV1().Pods(metav1.NamespaceDefault).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
}

// setTaints replaces worker0's taints, as kubectl taint does.
func setTaints(t *testing.T, client kubernetes.Interface, taints string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"taints":%s}}`, taints)
	if _, err := client.CoreV1().Nodes().Patch(t.Context(), "worker0", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("taint worker0: %v", err)
	}
}

// waitDeleting waits until pod name is being deleted, and returns when.
func waitDeleting(t *testing.T, client kubernetes.Interface, name string) time.Time {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		pod, err := client.CoreV1().Pods(metav1.NamespaceDefault).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pod.DeletionTimestamp == nil {
			return fmt.Errorf("pod %s not being deleted", name)
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == "DeletionByTaintManager" &&
				c.Message == "Taint manager: deleting due to NoExecute taint" {
				return nil
			}
		}
		return fmt.Errorf("pod %s conditions %+v, want DisruptionTarget DeletionByTaintManager", name, pod.Status.Conditions)
	})
	return time.Now()
}

func notDeleting(t *testing.T, client kubernetes.Interface, names ...string) {
	t.Helper()
	for _, name := range names {
		pod, err := client.CoreV1().Pods(metav1.NamespaceDefault).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get pod %s: %v", name, err)
		}
		if pod.DeletionTimestamp != nil {
			t.Errorf("pod %s is being deleted", name)
		}
	}
}

func waitEvent(t *testing.T, client kubernetes.Interface, pod, message string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		list, err := client.CoreV1().Events(metav1.NamespaceDefault).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == pod && e.Reason == "TaintManagerEviction" &&
				e.Type == corev1.EventTypeNormal && e.Message == message && e.Source.Component == "taint-eviction-controller" {
				return nil
			}
		}
		return fmt.Errorf("no TaintManagerEviction event %q on pod %s", message, pod)
	})
}

func TestNoExecuteTaintEvictsAsTolerated(t *testing.T) {
	t.Parallel()
	client := start(t)
	maint := func(seconds *int64) corev1.Toleration {
		return corev1.Toleration{Key: "example.com/maintenance", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
	}
	createPod(t, client, "intolerant")
	createPod(t, client, "brief", maint(ptr.To[int64](2)))
	createPod(t, client, "forever", maint(nil))
	createPod(t, client, "patient", maint(ptr.To[int64](600)))
	createPod(t, client, "unrelated", corev1.Toleration{Key: "other", Operator: corev1.TolerationOpExists})

	// A NoSchedule taint evicts nobody.
	setTaints(t, client, `[{"key":"example.com/maintenance","effect":"NoSchedule"}]`)
	time.Sleep(300 * time.Millisecond)
	notDeleting(t, client, "intolerant", "unrelated")

	tainted := time.Now()
	setTaints(t, client, `[{"key":"example.com/maintenance","value":"now","effect":"NoExecute"}]`)
	waitDeleting(t, client, "intolerant")
	waitDeleting(t, client, "unrelated")
	waitEvent(t, client, "intolerant", "Marking for deletion Pod default/intolerant")
	// A pod bound to the Node after the taint goes at once too.
	createPod(t, client, "late")
	waitDeleting(t, client, "late")

	if at := waitDeleting(t, client, "brief"); at.Sub(tainted) < 2*time.Second {
		t.Errorf("pod brief evicted %v after the taint, before its 2s toleration ran out", at.Sub(tainted))
	}
	notDeleting(t, client, "forever", "patient")

	// The taint goes: patient's pending eviction is cancelled.
	setTaints(t, client, `null`)
	waitEvent(t, client, "patient", "Cancelling deletion of Pod default/patient")
	notDeleting(t, client, "forever", "patient")
}
