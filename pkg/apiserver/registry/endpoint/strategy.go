package endpoint

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the endpoints resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.Endpoints, corev1.EndpointsList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("endpoints"), Namespaced: true,
		ShortNames: []string{"ep"}, CreateOnUpdate: true, Table: table,
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.Endpoints)) },
	})
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
