package endpoint

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the endpoints resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	return resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("endpoints"), Singular: "endpoints", Namespaced: true,
		New: func() runtime.Object { return &corev1.Endpoints{} }, NewList: func() runtime.Object { return &corev1.EndpointsList{} },
		ShortNames: []string{"ep"}, CreateOnUpdate: true, Table: table(t),
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.Endpoints)) },
	}
}

// setDefaults gives every port a protocol: TCP.
func setDefaults(e *corev1.Endpoints) {
	for i := range e.Subsets {
		for j := range e.Subsets[i].Ports {
			if p := &e.Subsets[i].Ports[j]; p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
		}
	}
}
