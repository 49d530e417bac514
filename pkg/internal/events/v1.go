package events

import (
	"context"
	"sync"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
)

// V1Recorder records events through events.k8s.io/v1, as kube-scheduler
// does (its broadcaster adapter picks that API when the server serves it):
// a reporting controller and instance, an action ("Binding", "Scheduling",
// "Preempting") and an eventTime instead of a source and first/last
// timestamps; kubectl describe shows them "From" the reporting controller.
// Recorder writes core/v1 events with a source, as the controllers of
// kube-controller-manager and the kubelet do.
//
// Like Recorder, it records only while a Run has started it.
type V1Recorder struct {
	client kubernetes.Interface
	name   string

	// mu guards current, as Recorder's.
	mu      sync.RWMutex
	current events.EventRecorder
}

// NewV1 returns a recorder of events reported by controller name, written
// through client.
func NewV1(client kubernetes.Interface, name string) *V1Recorder {
	return &V1Recorder{client: client, name: name}
}

// Start begins recording until stop is called; stop waits for the writes
// in flight and drops what comes after.
func (r *V1Recorder) Start(ctx context.Context) (stop func()) {
	sink := &stoppableV1Sink{EventSink: &events.EventSinkImpl{Interface: r.client.EventsV1()}}
	broadcaster := events.NewBroadcaster(sink)
	ctx, cancel := context.WithCancel(ctx)
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		// Only a broadcaster already shut down fails here.
		cancel()
		return func() {}
	}
	r.mu.Lock()
	r.current = broadcaster.NewRecorder(scheme.Scheme, r.name)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.current = nil
		r.mu.Unlock()
		sink.stop()
		broadcaster.Shutdown()
		cancel()
	}
}

// Eventf records an event about regarding (and related, if not nil), as
// events.EventRecorder's Eventf, if a Run is recording.
func (r *V1Recorder) Eventf(regarding, related runtime.Object, eventType, reason, action, note string, args ...any) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.current != nil {
		r.current.Eventf(regarding, related, eventType, reason, action, note, args...)
	}
}

// stoppableV1Sink writes events.k8s.io/v1 events until stopped; see gate.
type stoppableV1Sink struct {
	events.EventSink
	gate
}

func (s *stoppableV1Sink) Create(ctx context.Context, e *eventsv1.Event) (*eventsv1.Event, error) {
	return write(&s.gate, e, func() (*eventsv1.Event, error) { return s.EventSink.Create(ctx, e) })
}

func (s *stoppableV1Sink) Update(ctx context.Context, e *eventsv1.Event) (*eventsv1.Event, error) {
	return write(&s.gate, e, func() (*eventsv1.Event, error) { return s.EventSink.Update(ctx, e) })
}

func (s *stoppableV1Sink) Patch(ctx context.Context, e *eventsv1.Event, data []byte) (*eventsv1.Event, error) {
	return write(&s.gate, e, func() (*eventsv1.Event, error) { return s.EventSink.Patch(ctx, e, data) })
}
