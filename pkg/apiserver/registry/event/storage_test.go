package event_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
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
