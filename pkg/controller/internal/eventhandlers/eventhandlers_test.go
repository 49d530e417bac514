package eventhandlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
)

// TestAdd: the handlers get typed objects, a delete its object, and the
// returned HasSynced are one per handler.
func TestAdd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	client := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}})
	factory := informers.NewSharedInformerFactory(client, 0)
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	added := make(chan *corev1.Pod, 1)
	deleted := make(chan coreinformers.DeletedPod, 1)
	synced, err := eventhandlers.Add(
		eventhandlers.For("pod", factory.Core().V1().Pods().TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    func(pod *corev1.Pod) { added <- pod },
			DeleteFunc: func(d coreinformers.DeletedPod) { deleted <- d },
		}),
		eventhandlers.For("node", factory.Core().V1().Nodes().TypedInformer(), coreinformers.NodeHandlerFuncs{}),
	)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if len(synced) != 2 {
		t.Fatalf("got %d HasSynced, want 2", len(synced))
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		t.Fatal("handlers never synced")
	}
	select {
	case pod := <-added:
		if pod.Name != "a" {
			t.Errorf("added pod %q, want a", pod.Name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no add within 10s")
	}
	if err := client.CoreV1().Pods("ns").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	select {
	case d := <-deleted:
		if d.OptionalObj == nil || d.OptionalObj.Name != "a" || d.GetKey() != "ns/a" {
			t.Errorf("deleted %+v, want pod ns/a", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delete within 10s")
	}
}

// TestAddStopped: a handler that cannot be added, its informer having
// stopped, fails Add with an error that names it.
func TestAddStopped(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	pods := factory.Core().V1().Pods().TypedInformer()
	factory.Start(ctx.Done())
	cancel()
	factory.Shutdown()
	synced, err := eventhandlers.Add(eventhandlers.For("pod", pods, coreinformers.PodHandlerFuncs{}))
	if err == nil || !strings.HasPrefix(err.Error(), "add pod event handler: ") {
		t.Errorf("Add on a stopped informer: %v, want an error naming the pod handler", err)
	}
	if synced != nil {
		t.Errorf("Add on a stopped informer returned %d HasSynced, want none", len(synced))
	}
}
