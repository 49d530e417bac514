package events

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// logVerbosity is the verbosity at which kube-controller-manager's
// controllers log the events they record.
const logVerbosity = 3

// Recorder records the events of one controller while a Run has started
// it, and drops them otherwise: before the first Run, between Runs and
// after the last. The zero value is not usable; make one with New.
type Recorder struct {
	client    kubernetes.Interface
	component string
	host      string
	log       bool

	// mu guards current: recording holds it shared, so that stop, which
	// takes it exclusively, knows no event is still on its way to the
	// broadcaster it shuts down (that would log "Unable to record event").
	mu      sync.RWMutex
	current record.EventRecorder
}

var _ record.EventRecorder = (*Recorder)(nil)

// Option changes what New makes.
type Option func(*Recorder)

// WithoutLogging records events to the API only, as upstream's garbage
// collector does, instead of also logging each at V(3).
func WithoutLogging() Option {
	return func(r *Recorder) { r.log = false }
}

// WithHost names the node the events come from (the source's host), as a
// kubelet's events do.
func WithHost(host string) Option {
	return func(r *Recorder) { r.host = host }
}

// New returns a recorder of events with source component, written
// through client.
func New(client kubernetes.Interface, component string, opts ...Option) *Recorder {
	r := &Recorder{client: client, component: component, log: true}
	for _, o := range opts {
		o(r)
	}
	return r
}

// To returns a recorder that records to rec from the start and is never
// started: for unit tests of the events a controller records, with
// record.NewFakeRecorder, and no API to write them to.
func To(rec record.EventRecorder) *Recorder {
	return &Recorder{current: rec}
}

// Start begins recording: events go to the API, and to ctx's logger at
// V(3) unless WithoutLogging, until stop is called. stop drops the events
// recorded after it and waits for the broadcaster to shut down; call it
// once the Run's workers have stopped.
func (r *Recorder) Start(ctx context.Context) (stop func()) {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	if r.log {
		broadcaster.StartStructuredLogging(logVerbosity)
	}
	sink := &stoppableSink{EventSink: &typedcorev1.EventSinkImpl{Interface: r.client.CoreV1().Events("")}}
	broadcaster.StartRecordingToSink(sink)
	r.mu.Lock()
	r.current = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: r.component, Host: r.host})
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.current = nil
		r.mu.Unlock()
		sink.stop()
		broadcaster.Shutdown()
	}
}

// Event records an event on obj, as record.EventRecorder's Event, if a
// Run is recording.
func (r *Recorder) Event(obj runtime.Object, eventType, reason, message string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.current != nil {
		r.current.Event(obj, eventType, reason, message)
	}
}

// Eventf is Event with a message formatted as fmt.Sprintf does.
func (r *Recorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.current != nil {
		r.current.Eventf(obj, eventType, reason, format, args...)
	}
}

// AnnotatedEventf is Eventf with annotations on the event.
func (r *Recorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventType, reason, format string, args ...any) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.current != nil {
		r.current.AnnotatedEventf(obj, annotations, eventType, reason, format, args...)
	}
}

// stoppableSink writes core/v1 events until stopped; see gate.
type stoppableSink struct {
	record.EventSink
	gate
}

func (s *stoppableSink) Create(e *corev1.Event) (*corev1.Event, error) {
	return write(&s.gate, e, func() (*corev1.Event, error) { return s.EventSink.Create(e) })
}

func (s *stoppableSink) Update(e *corev1.Event) (*corev1.Event, error) {
	return write(&s.gate, e, func() (*corev1.Event, error) { return s.EventSink.Update(e) })
}

func (s *stoppableSink) Patch(e *corev1.Event, data []byte) (*corev1.Event, error) {
	return write(&s.gate, e, func() (*corev1.Event, error) { return s.EventSink.Patch(e, data) })
}

// gate lets a sink write events until stopped, then drops them as written:
// a broadcaster hands its sink what was queued before the stop even after
// Shutdown returns, when the API server may be gone, and would log each
// failed write as an error. stop waits for the writes in flight.
type gate struct {
	// mu is held shared by each write and exclusively by stop.
	mu      sync.RWMutex
	stopped bool
}

func (g *gate) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// write runs fn unless g has stopped, and returns e as written if it has.
func write[E any](g *gate, e E, fn func() (E, error)) (E, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.stopped {
		return e, nil
	}
	return fn()
}
