package event

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the core/v1 events resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.Event, corev1.EventList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("events"), Namespaced: true,
		ShortNames: []string{"ev"}, CreateOnUpdate: true, Table: table,
		Fields: coreEventFields, FieldLabels: coreEventFieldLabels,
	})
}

// eventsV1Definition is the events.k8s.io/v1 events resource.
func eventsV1Definition() resource.Definition {
	return resource.Define[eventsv1.Event, eventsv1.EventList](resource.Definition{
		Resource: eventsv1.SchemeGroupVersion.WithResource("events"), Namespaced: true,
		ShortNames: []string{"ev"}, CreateOnUpdate: true, Table: eventsV1Table,
		Conversions: addConversions,
	})
}

// coreEventFieldLabels are the fields core/v1 events can be selected by,
// and coreEventFields their values, as kube-apiserver's.
var coreEventFieldLabels = []string{
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
	"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
	"reason", "reportingComponent", "source", "type",
}

func coreEventFields(obj runtime.Object) fields.Set {
	e := obj.(*corev1.Event)
	return fields.Set{
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         e.Source.Component,
		"type":                           e.Type,
	}
}
