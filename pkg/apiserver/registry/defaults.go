package registry

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service"
)

// AddDefaulters registers, per type, the defaulting kube-apiserver's scheme
// applies whenever an object is decoded (from a request or from storage), so
// that patches, server-side apply and reads all see defaulted objects.
func AddDefaulters(scheme *runtime.Scheme) {
	scheme.AddTypeDefaultingFunc(&corev1.Pod{}, func(obj interface{}) { pod.SetDefaults(obj.(*corev1.Pod)) })
	scheme.AddTypeDefaultingFunc(&corev1.Service{}, func(obj interface{}) { service.SetDefaults(obj.(*corev1.Service)) })
	scheme.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj interface{}) {
		ns := obj.(*corev1.Namespace)
		if ns.Status.Phase == "" {
			ns.Status.Phase = corev1.NamespaceActive
		}
		// Every namespace carries its name as a label, so selectors can
		// pick namespaces by name.
		if ns.Name != "" {
			if ns.Labels == nil {
				ns.Labels = map[string]string{}
			}
			ns.Labels[corev1.LabelMetadataName] = ns.Name
		}
	})
	scheme.AddTypeDefaultingFunc(&corev1.Secret{}, func(obj interface{}) {
		s := obj.(*corev1.Secret)
		if s.Type == "" {
			s.Type = corev1.SecretTypeOpaque
		}
		// stringData is write-only: it is folded into data (winning over
		// the same key there) and never stored or returned.
		for k, v := range s.StringData {
			if s.Data == nil {
				s.Data = map[string][]byte{}
			}
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
	})
	scheme.AddTypeDefaultingFunc(&corev1.Endpoints{}, func(obj interface{}) {
		for i := range obj.(*corev1.Endpoints).Subsets {
			for j := range obj.(*corev1.Endpoints).Subsets[i].Ports {
				if p := &obj.(*corev1.Endpoints).Subsets[i].Ports[j]; p.Protocol == "" {
					p.Protocol = corev1.ProtocolTCP
				}
			}
		}
	})
	scheme.AddTypeDefaultingFunc(&discoveryv1.EndpointSlice{}, func(obj interface{}) {
		for i := range obj.(*discoveryv1.EndpointSlice).Ports {
			p := &obj.(*discoveryv1.EndpointSlice).Ports[i]
			if p.Protocol == nil {
				p.Protocol = ptr.To(corev1.ProtocolTCP)
			}
			if p.Name == nil {
				p.Name = ptr.To("")
			}
		}
	})
	scheme.AddTypeDefaultingFunc(&corev1.Node{}, func(obj interface{}) {
		// A node that reports capacity but no allocatable can allocate all of it.
		if n := obj.(*corev1.Node); len(n.Status.Capacity) > 0 && len(n.Status.Allocatable) == 0 {
			n.Status.Allocatable = n.Status.Capacity.DeepCopy()
		}
	})
}
