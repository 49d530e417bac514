package endpointslice

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the endpointslices resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[discoveryv1.EndpointSlice, discoveryv1.EndpointSliceList](resource.Definition{
		Resource: discoveryv1.SchemeGroupVersion.WithResource("endpointslices"), Namespaced: true,
		Table:    table,
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*discoveryv1.EndpointSlice)) },
		// Generation counts changes to anything but metadata, and to
		// labels, as kube-apiserver's: the EndpointSlice controller
		// tells others' writes and a lagging cache from its own by it.
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			obj.(*discoveryv1.EndpointSlice).Generation = 1
		},
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			n, o := obj.(*discoveryv1.EndpointSlice), old.(*discoveryv1.EndpointSlice)
			if !apiequality.Semantic.DeepEqual(n.AddressType, o.AddressType) || !apiequality.Semantic.DeepEqual(n.Endpoints, o.Endpoints) ||
				!apiequality.Semantic.DeepEqual(n.Ports, o.Ports) || !apiequality.Semantic.DeepEqual(n.Labels, o.Labels) {
				n.Generation = o.Generation + 1
			} else {
				n.Generation = o.Generation // not the client's to set
			}
		},
	})
}

// setDefaults gives every port a protocol (TCP) and a name (empty).
func setDefaults(s *discoveryv1.EndpointSlice) {
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == nil {
			p.Protocol = ptr.To(corev1.ProtocolTCP)
		}
		if p.Name == nil {
			p.Name = ptr.To("")
		}
	}
}
