package event

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	classic := &corev1.Event{
		ObjectMeta:     tablestest.ObjectMeta("web.17f1", 10*time.Minute),
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default", FieldPath: "spec.containers{app}"},
		Reason:         "BackOff",
		Message:        "Back-off restarting failed container app\n",
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: tablestest.Ago(10 * time.Minute),
		LastTimestamp:  tablestest.Ago(45 * time.Second),
		Count:          12,
		Type:           corev1.EventTypeWarning,
	}
	series := &corev1.Event{
		ObjectMeta:          tablestest.ObjectMeta("web.17f2", 20*time.Minute),
		InvolvedObject:      corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default"},
		Reason:              "Scheduled",
		Message:             "Successfully assigned default/web to node-1",
		EventTime:           tablestest.MicroAgo(20 * time.Minute),
		Series:              &corev1.EventSeries{Count: 4, LastObservedTime: tablestest.MicroAgo(2 * time.Minute)},
		ReportingController: "default-scheduler",
		ReportingInstance:   "default-scheduler-cp-1",
		Type:                corev1.EventTypeNormal,
	}
	single := &corev1.Event{
		ObjectMeta:          tablestest.ObjectMeta("node-1.17f3", time.Hour),
		InvolvedObject:      corev1.ObjectReference{Kind: "Node", Name: "node-1"},
		Reason:              "RegisteredNode",
		Message:             "Node node-1 event: Registered Node node-1 in Controller",
		EventTime:           tablestest.MicroAgo(time.Hour),
		ReportingController: "node-controller",
		Type:                corev1.EventTypeNormal,
	}
	noName := &corev1.Event{
		ObjectMeta:     tablestest.ObjectMeta("cluster.17f4", 5*time.Hour),
		InvolvedObject: corev1.ObjectReference{Kind: "ClusterIP"},
		Reason:         "Repair",
		Source:         corev1.EventSource{Component: "ipallocator-repair-controller"},
		FirstTimestamp: tablestest.Ago(5 * time.Hour),
		Count:          1,
		Type:           corev1.EventTypeWarning,
	}
	tablestest.Golden{Name: "events", Table: table}.Check(t, []tablestest.Case{
		{Name: "classic event with count and source host", Obj: classic},
		{Name: "new-style event with series and reporting controller", Obj: series},
		{Name: "new-style single event without count", Obj: single},
		{Name: "object without name, no last timestamp", Obj: noName},
		{Name: "list", Obj: &corev1.EventList{ListMeta: metav1.ListMeta{ResourceVersion: "900"}, Items: []corev1.Event{*classic, *series}}},
	})
}

func TestEventsV1Table(t *testing.T) {
	t.Parallel()
	series := &eventsv1.Event{
		ObjectMeta:          tablestest.ObjectMeta("web.18a1", 20*time.Minute),
		Regarding:           corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default", FieldPath: "spec.containers{app}"},
		Reason:              "Pulled",
		Note:                "  Container image \"nginx\" already present on machine  ",
		EventTime:           tablestest.MicroAgo(20 * time.Minute),
		Series:              &eventsv1.EventSeries{Count: 3, LastObservedTime: tablestest.MicroAgo(time.Minute)},
		ReportingController: "kubelet",
		ReportingInstance:   "node-1",
		Action:              "Pull",
		Type:                corev1.EventTypeNormal,
	}
	deprecated := &eventsv1.Event{
		ObjectMeta:               tablestest.ObjectMeta("web.18a2", 10*time.Minute),
		Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "web"},
		Reason:                   "BackOff",
		Note:                     "Back-off restarting failed container",
		DeprecatedSource:         corev1.EventSource{Component: "kubelet"},
		DeprecatedFirstTimestamp: tablestest.Ago(10 * time.Minute),
		DeprecatedLastTimestamp:  tablestest.Ago(30 * time.Second),
		DeprecatedCount:          6,
		ReportingInstance:        "node-2",
		Type:                     corev1.EventTypeWarning,
	}
	single := &eventsv1.Event{
		ObjectMeta: tablestest.ObjectMeta("ns.18a3", time.Minute),
		Regarding:  corev1.ObjectReference{Kind: "Namespace", Name: "default"},
		Reason:     "Created",
		EventTime:  tablestest.MicroAgo(time.Minute),
		Type:       corev1.EventTypeNormal,
	}
	tablestest.Golden{Name: "events.k8s.io", Table: eventsV1Table}.Check(t, []tablestest.Case{
		{Name: "series", Obj: series},
		{Name: "deprecated fields from a core/v1 writer", Obj: deprecated},
		{Name: "single event without count or reporter", Obj: single},
		{Name: "list", Obj: &eventsv1.EventList{ListMeta: metav1.ListMeta{ResourceVersion: "901", Continue: "more"}, Items: []eventsv1.Event{*series}}},
	})
}
