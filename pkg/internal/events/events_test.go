package events_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

func pod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", UID: "u"}}
}

// TestRecordsOnlyWhileStarted: events before Start and after stop are
// dropped; those between reach the API with the recorder's source.
func TestRecordsOnlyWhileStarted(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	client := fake.NewClientset()
	r := events.New(client, "test-controller")
	r.Event(pod(), corev1.EventTypeNormal, "Before", "dropped")
	stop := r.Start(ctx)
	r.Eventf(pod(), corev1.EventTypeWarning, "During", "recorded %d", 1)
	deadline := time.Now().Add(10 * time.Second)
	var got []corev1.Event
	for len(got) == 0 {
		list, err := client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list events: %v", err)
		}
		got = list.Items
		if time.Now().After(deadline) {
			t.Fatal("no event recorded within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	r.Event(pod(), corev1.EventTypeNormal, "After", "dropped")
	list, err := client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("events %+v, want only the one recorded while started", list.Items)
	}
	e := list.Items[0]
	if e.Reason != "During" || e.Message != "recorded 1" || e.Type != corev1.EventTypeWarning || e.Source.Component != "test-controller" {
		t.Errorf("event reason %q message %q type %q source %q, want During, recorded 1, Warning, test-controller",
			e.Reason, e.Message, e.Type, e.Source.Component)
	}
}

// TestTo: a recorder made with To records to its recorder without Start.
func TestTo(t *testing.T) {
	t.Parallel()
	fr := record.NewFakeRecorder(1)
	events.To(fr).Eventf(pod(), corev1.EventTypeNormal, "Reason", "n=%d", 2)
	if got, want := <-fr.Events, "Normal Reason n=2"; got != want {
		t.Errorf("event %q, want %q", got, want)
	}
}
