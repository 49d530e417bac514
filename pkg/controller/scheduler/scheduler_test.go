package scheduler_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/scheduler"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// start runs an API server with no controllers and this scheduler on it.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := scheduler.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	factory.Start(ctx.Done())
	go func() { s.Run(ctx, 1); close(done) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return client
}

func node(t *testing.T, client kubernetes.Interface, name string, labels map[string]string, taints ...corev1.Taint) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n, err := client.CoreV1().Nodes().Create(t.Context(), n, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Taints = taints // drop the admission's not-ready taint unless asked
	if n, err = client.CoreV1().Nodes().Update(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("110")}
	n.Status.Capacity = n.Status.Allocatable
	if _, err := client.CoreV1().Nodes().UpdateStatus(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func pod(t *testing.T, client kubernetes.Interface, name string, mutate func(*corev1.Pod)) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	if mutate != nil {
		mutate(p)
	}
	if _, err := client.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls the pod until ok says so.
func waitFor(t *testing.T, client kubernetes.Interface, name string, what string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := client.CoreV1().Pods("default").Get(t.Context(), name, metav1.GetOptions{})
		if err == nil && ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod %s: %s: timed out; last %+v, %v", name, what, p.Status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	client := start(t)
	if _, err := client.CoreV1().ServiceAccounts("default").Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node(t, client, "a", map[string]string{"disk": "hdd"})
	node(t, client, "b", map[string]string{"disk": "ssd"})
	node(t, client, "tainted", map[string]string{"disk": "ssd"}, corev1.Taint{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule})

	pod(t, client, "ssd", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} })
	if p := waitFor(t, client, "ssd", "bound", func(p *corev1.Pod) bool { return p.Spec.NodeName != "" }); p.Spec.NodeName != "b" {
		t.Errorf("ssd pod on %q, want b (the tainted node does not fit)", p.Spec.NodeName)
	}

	pod(t, client, "nowhere", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "tape"} })
	p := waitFor(t, client, "nowhere", "unschedulable", func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				return true
			}
		}
		return false
	})
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			if want := "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."; c.Message != want {
				t.Errorf("message %q, want %q", c.Message, want)
			}
		}
	}
	// A node that fits makes it schedulable.
	node(t, client, "tape", map[string]string{"disk": "tape"})
	if p := waitFor(t, client, "nowhere", "bound after a node came", func(p *corev1.Pod) bool { return p.Spec.NodeName != "" }); p.Spec.NodeName != "tape" {
		t.Errorf("pod on %q, want tape", p.Spec.NodeName)
	}
}
