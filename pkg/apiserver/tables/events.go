package tables

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// eventColumns are shared by both event APIs: kube-apiserver serves events.k8s.io/v1 from
// the core event storage, so both print the same table. There is no Age column, and the
// name comes last, as a wide column.
func eventColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		{Name: "Last Seen", Type: "string", Description: "Time since the event was last observed."},
		{Name: "Type", Type: "string", Description: "Normal or Warning."},
		{Name: "Reason", Type: "string", Description: "Short machine-readable reason for the event."},
		{Name: "Object", Type: "string", Description: "The object the event is about, as kind/name."},
		{Name: "Subobject", Type: "string", Priority: 1, Description: "The part of the object the event is about, such as a container."},
		{Name: "Source", Type: "string", Priority: 1, Description: "The component, and host or instance, that reported the event."},
		{Name: "Message", Type: "string", Description: "Human-readable description of the event."},
		{Name: "First Seen", Type: "string", Priority: 1, Description: "Time since the event was first observed."},
		{Name: "Count", Type: "string", Priority: 1, Description: "How many times the event was observed."},
		{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: "Name of the event object."},
	}
}

// Events returns the convertor for core/v1 Events:
// LAST SEEN TYPE REASON OBJECT [SUBOBJECT SOURCE] MESSAGE [FIRST SEEN COUNT NAME].
func (c *Convertors) Events() Convertor {
	return convertor(c.clock, eventColumns(), func(e *corev1.Event, now time.Time) []any {
		return coreEventFields(e).cells(now)
	}, func(l *corev1.EventList) []*corev1.Event { return pointers(l.Items) })
}

// EventsV1 returns the convertor for events.k8s.io/v1 Events, with the same table as
// Events.
func (c *Convertors) EventsV1() Convertor {
	return convertor(c.clock, eventColumns(), func(e *eventsv1.Event, now time.Time) []any {
		return eventsV1Fields(e).cells(now)
	}, func(l *eventsv1.EventList) []*eventsv1.Event { return pointers(l.Items) })
}

func coreEventFields(e *corev1.Event) eventFields {
	f := eventFields{
		name:                e.Name,
		eventType:           e.Type,
		reason:              e.Reason,
		message:             e.Message,
		regarding:           e.InvolvedObject,
		source:              e.Source,
		reportingController: e.ReportingController,
		reportingInstance:   e.ReportingInstance,
		firstTimestamp:      e.FirstTimestamp,
		lastTimestamp:       e.LastTimestamp,
		eventTime:           e.EventTime,
		count:               e.Count,
	}
	if e.Series != nil {
		f.series = &eventSeries{count: e.Series.Count, lastObservedTime: e.Series.LastObservedTime}
	}
	return f
}

// eventsV1Fields maps the newer API onto the core names, as the conversion between the
// two does: the deprecated* fields hold firstTimestamp, lastTimestamp, count and source.
func eventsV1Fields(e *eventsv1.Event) eventFields {
	f := eventFields{
		name:                e.Name,
		eventType:           e.Type,
		reason:              e.Reason,
		message:             e.Note,
		regarding:           e.Regarding,
		source:              e.DeprecatedSource,
		reportingController: e.ReportingController,
		reportingInstance:   e.ReportingInstance,
		firstTimestamp:      e.DeprecatedFirstTimestamp,
		lastTimestamp:       e.DeprecatedLastTimestamp,
		eventTime:           e.EventTime,
		count:               e.DeprecatedCount,
	}
	if e.Series != nil {
		f.series = &eventSeries{count: e.Series.Count, lastObservedTime: e.Series.LastObservedTime}
	}
	return f
}

// eventFields is what the event table needs, in either API's terms.
type eventFields struct {
	name, eventType, reason, message       string
	regarding                              corev1.ObjectReference
	source                                 corev1.EventSource
	reportingController, reportingInstance string
	firstTimestamp, lastTimestamp          metav1.Time
	eventTime                              metav1.MicroTime
	count                                  int32
	series                                 *eventSeries
}

type eventSeries struct {
	count            int32
	lastObservedTime metav1.MicroTime
}

// cells renders an event. Events from the newer API set eventTime instead of
// firstTimestamp and a series instead of lastTimestamp and count; a lone event without a
// count was seen once.
func (e eventFields) cells(now time.Time) []any {
	firstSeen := age(e.firstTimestamp, now)
	if e.firstTimestamp.IsZero() {
		firstSeen = microAge(e.eventTime, now)
	}
	lastSeen := age(e.lastTimestamp, now)
	if e.lastTimestamp.IsZero() {
		lastSeen = firstSeen
	}
	count := e.count
	switch {
	case e.series != nil:
		lastSeen = microAge(e.series.lastObservedTime, now)
		count = e.series.count
	case count == 0:
		count = 1
	}

	object := strings.ToLower(e.regarding.Kind)
	if e.regarding.Name != "" {
		object += "/" + e.regarding.Name
	}

	component := e.source.Component
	if component == "" {
		component = e.reportingController
	}
	instance := e.source.Host
	if instance == "" {
		instance = e.reportingInstance
	}
	source := component
	if instance != "" {
		source += ", " + instance
	}

	return []any{
		lastSeen,
		e.eventType,
		e.reason,
		object,
		e.regarding.FieldPath,
		source,
		strings.TrimSpace(e.message),
		firstSeen,
		int64(count),
		e.name,
	}
}
