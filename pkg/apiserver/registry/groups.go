package registry

import (
	"context"

	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

func discovery(t *tables.Convertors) []Served {
	gv := discoveryv1.SchemeGroupVersion
	return []Served{{GroupVersion: gv, Definition: resource.Definition{
		Resource: gv.WithResource("endpointslices").GroupResource(), Singular: "endpointslice", Namespaced: true,
		New: func() runtime.Object { return &discoveryv1.EndpointSlice{} }, NewList: func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		Table: t.EndpointSlices(),
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
	}}}
}

func events(t *tables.Convertors) []Served {
	gv := eventsv1.SchemeGroupVersion
	return []Served{{GroupVersion: gv, Definition: resource.Definition{
		Resource: gv.WithResource("events").GroupResource(), Singular: "event", Namespaced: true,
		New: func() runtime.Object { return &eventsv1.Event{} }, NewList: func() runtime.Object { return &eventsv1.EventList{} },
		ShortNames: []string{"ev"}, CreateOnUpdate: true, Table: t.EventsV1(),
	}}}
}

func coordination(t *tables.Convertors) []Served {
	gv := coordinationv1.SchemeGroupVersion
	return []Served{{GroupVersion: gv, Definition: resource.Definition{
		Resource: gv.WithResource("leases").GroupResource(), Singular: "lease", Namespaced: true,
		New: func() runtime.Object { return &coordinationv1.Lease{} }, NewList: func() runtime.Object { return &coordinationv1.LeaseList{} },
		CreateOnUpdate: true, Table: t.Leases(),
	}}}
}

func networking(t *tables.Convertors) []Served {
	gv := networkingv1.SchemeGroupVersion
	return []Served{
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: gv.WithResource("servicecidrs").GroupResource(), Singular: "servicecidr",
			New: func() runtime.Object { return &networkingv1.ServiceCIDR{} }, NewList: func() runtime.Object { return &networkingv1.ServiceCIDRList{} },
			Table: t.ServiceCIDRs(),
			Status: statusSplit(gv.String(), func(c *networkingv1.ServiceCIDR) *networkingv1.ServiceCIDRStatus { return &c.Status },
				func(to, from *networkingv1.ServiceCIDR) { to.Spec = from.Spec }, true),
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: gv.WithResource("ipaddresses").GroupResource(), Singular: "ipaddress",
			New: func() runtime.Object { return &networkingv1.IPAddress{} }, NewList: func() runtime.Object { return &networkingv1.IPAddressList{} },
			ShortNames: []string{"ip"}, Table: t.IPAddresses(),
			// IPAddress names are the addresses themselves.
			NameFunc: func(string, bool) []string { return nil },
		}},
	}
}
