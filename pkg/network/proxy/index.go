package proxy

import (
	"fmt"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// The indexes a Table reads through Config.ServiceIndex and
// Config.EndpointSliceIndex. Their values are supersets: Route still
// checks each object it gets as it checks a listed one, so an index only
// spares it the objects that cannot match.
const (
	// IndexServiceAddress indexes Services by every address they may
	// claim, as netip.Addr.String() of the address parsed as kube-proxy
	// parses it: spec.clusterIP and clusterIPs, spec.externalIPs and
	// status.loadBalancer.ingress IPs, of every ipMode.
	IndexServiceAddress = "proxy.fakecluster.io/address"
	// IndexServiceNodePort indexes Services by each of their ports'
	// nonzero nodePort, in decimal.
	IndexServiceNodePort = "proxy.fakecluster.io/node-port"
	// IndexEndpointSliceService indexes EndpointSlices by the Service their
	// kubernetes.io/service-name label names, as "namespace/name".
	IndexEndpointSliceService = "proxy.fakecluster.io/service"
)

// ServiceIndexers are IndexServiceAddress and IndexServiceNodePort, for a
// Service informer's AddIndexers.
func ServiceIndexers() cache.Indexers {
	return cache.Indexers{IndexServiceAddress: serviceAddresses, IndexServiceNodePort: serviceNodePorts}
}

// EndpointSliceIndexers is IndexEndpointSliceService, for an
// EndpointSlice informer's AddIndexers.
func EndpointSliceIndexers() cache.Indexers {
	return cache.Indexers{IndexEndpointSliceService: sliceService}
}

func serviceAddresses(obj any) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("index %s: want a *v1.Service, got %T", IndexServiceAddress, obj)
	}
	var out []string
	add := func(s string) {
		if a := parseAddr(s); a.IsValid() {
			k := a.String()
			for _, o := range out {
				if o == k {
					return
				}
			}
			out = append(out, k)
		}
	}
	add(svc.Spec.ClusterIP)
	for _, s := range svc.Spec.ClusterIPs {
		add(s)
	}
	for _, s := range svc.Spec.ExternalIPs {
		add(s)
	}
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			add(ing.IP)
		}
	}
	return out, nil
}

func serviceNodePorts(obj any) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("index %s: want a *v1.Service, got %T", IndexServiceNodePort, obj)
	}
	var out []string
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out = append(out, strconv.Itoa(int(p.NodePort)))
		}
	}
	return out, nil
}

func sliceService(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, fmt.Errorf("index %s: want a *v1.EndpointSlice, got %T", IndexEndpointSliceService, obj)
	}
	name, ok := s.Labels[discoveryv1.LabelServiceName]
	if !ok {
		return nil, nil
	}
	return []string{s.Namespace + "/" + name}, nil
}

// labelsForService selects the EndpointSlices of the Service name.
func labelsForService(name string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name})
}

// servicesAt returns the Services that may own to, as a cluster,
// external or LoadBalancer IP with its port or as a NodePort: from the
// indexes when there are, else every Service.
func (t *Table) servicesAt(to netip.AddrPort) ([]*corev1.Service, error) {
	if t.cfg.ServiceIndex == nil {
		svcs, err := t.cfg.Services.List(labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		return svcs, nil
	}
	byAddr, err := t.cfg.ServiceIndex.ByIndex(IndexServiceAddress, to.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("services at %s: %w", to.Addr(), err)
	}
	byPort, err := t.cfg.ServiceIndex.ByIndex(IndexServiceNodePort, strconv.Itoa(int(to.Port())))
	if err != nil {
		return nil, fmt.Errorf("services on node port %d: %w", to.Port(), err)
	}
	out := make([]*corev1.Service, 0, len(byAddr)+len(byPort))
	for _, objs := range [][]any{byAddr, byPort} {
		for _, o := range objs {
			svc, ok := o.(*corev1.Service)
			if !ok {
				return nil, fmt.Errorf("service index holds a %T", o)
			}
			// A Service in both lists is considered twice, to the
			// same effect as once.
			out = append(out, svc)
		}
	}
	return out, nil
}

// slicesOf returns the EndpointSlices labelled with svc's name in its
// namespace.
func (t *Table) slicesOf(svc types.NamespacedName) ([]*discoveryv1.EndpointSlice, error) {
	if t.cfg.EndpointSliceIndex == nil {
		sel := labelsForService(svc.Name)
		list, err := t.cfg.EndpointSlices.EndpointSlices(svc.Namespace).List(sel)
		if err != nil {
			return nil, fmt.Errorf("list endpoint slices of %s: %w", svc, err)
		}
		return list, nil
	}
	objs, err := t.cfg.EndpointSliceIndex.ByIndex(IndexEndpointSliceService, svc.String())
	if err != nil {
		return nil, fmt.Errorf("endpoint slices of %s: %w", svc, err)
	}
	out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, o := range objs {
		s, ok := o.(*discoveryv1.EndpointSlice)
		if !ok {
			return nil, fmt.Errorf("endpoint slice index holds a %T", o)
		}
		out = append(out, s)
	}
	return out, nil
}
