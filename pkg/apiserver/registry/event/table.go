package event

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// tableColumns are shared by both event APIs: kube-apiserver serves events.k8s.io/v1 from
// the core event storage, so both print the same table. There is no Age column, and the
// name comes last, as a wide column.
func tableColumns() []metav1.TableColumnDefinition {
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

// table returns the kubectl get columns of core/v1 events:
// LAST SEEN TYPE REASON OBJECT [SUBOBJECT SOURCE] MESSAGE [FIRST SEEN COUNT NAME].
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewConvertor[*corev1.EventList](t, tableColumns(), func(e *corev1.Event, now time.Time) []any {
		return coreTableEvent(e).cells(now)
	})
}

// eventsV1Table returns the kubectl get columns of events.k8s.io/v1 events, the same
// table as core/v1's.
func eventsV1Table(t *tables.Convertors) tables.Convertor {
	return tables.NewConvertor[*eventsv1.EventList](t, tableColumns(), func(e *eventsv1.Event, now time.Time) []any {
		return eventsV1TableEvent(e).cells(now)
	})
}

// coreTableEvent is a core/v1 event in the table's terms.
func coreTableEvent(e *corev1.Event) tableEvent {
	f := tableEvent{
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
		f.series = &tableSeries{count: e.Series.Count, lastObservedTime: e.Series.LastObservedTime}
	}
	return f
}

// eventsV1TableEvent maps the newer API onto the core names, as the conversion between the
// two does: the deprecated* fields hold firstTimestamp, lastTimestamp, count and source.
func eventsV1TableEvent(e *eventsv1.Event) tableEvent {
	f := tableEvent{
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
		f.series = &tableSeries{count: e.Series.Count, lastObservedTime: e.Series.LastObservedTime}
	}
	return f
}

// tableEvent is what the event table needs, in either API's terms.
type tableEvent struct {
	name, eventType, reason, message       string
	regarding                              corev1.ObjectReference
	source                                 corev1.EventSource
	reportingController, reportingInstance string
	firstTimestamp, lastTimestamp          metav1.Time
	eventTime                              metav1.MicroTime
	count                                  int32
	series                                 *tableSeries
}

type tableSeries struct {
	count            int32
	lastObservedTime metav1.MicroTime
}

// cells renders an event. Events from the newer API set eventTime instead of
// firstTimestamp and a series instead of lastTimestamp and count; a lone event without a
// count was seen once.
func (e tableEvent) cells(now time.Time) []any {
	firstSeen := tables.Age(e.firstTimestamp, now)
	if e.firstTimestamp.IsZero() {
		firstSeen = microAge(e.eventTime, now)
	}
	lastSeen := tables.Age(e.lastTimestamp, now)
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

// microAge is tables.Age for the MicroTime fields of events.
func microAge(ts metav1.MicroTime, now time.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}
