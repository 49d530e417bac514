package resource

//lint:file-ignore SA1019 the test defines core/v1 Endpoints, the one kind whose singular is plural.

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestDefine: New and NewList build fresh objects of the resource's types,
// and Singular is the lower-case kind, also for a kind that is plural.
func TestDefine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		def           Definition
		obj, list     runtime.Object
		wantSingular  string
		keptNamespace bool
	}{
		{
			name: "pods", def: Define[corev1.Pod, corev1.PodList](Definition{Resource: corev1.SchemeGroupVersion.WithResource("pods"), Namespaced: true}),
			obj: &corev1.Pod{}, list: &corev1.PodList{}, wantSingular: "pod", keptNamespace: true,
		},
		{
			name: "endpoints", def: Define[corev1.Endpoints, corev1.EndpointsList](Definition{Resource: corev1.SchemeGroupVersion.WithResource("endpoints"), Namespaced: true}),
			obj: &corev1.Endpoints{}, list: &corev1.EndpointsList{}, wantSingular: "endpoints", keptNamespace: true,
		},
		{
			name: "servicecidrs", def: Define[networkingv1.ServiceCIDR, networkingv1.ServiceCIDRList](Definition{Resource: networkingv1.SchemeGroupVersion.WithResource("servicecidrs")}),
			obj: &networkingv1.ServiceCIDR{}, list: &networkingv1.ServiceCIDRList{}, wantSingular: "servicecidr",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.def.Singular; got != tt.wantSingular {
				t.Errorf("Singular = %q, want %q", got, tt.wantSingular)
			}
			if tt.def.Namespaced != tt.keptNamespace {
				t.Errorf("Namespaced = %v, want %v: Define must keep what it is given", tt.def.Namespaced, tt.keptNamespace)
			}
			for _, c := range []struct {
				what      string
				make      func() runtime.Object
				wantEmpty runtime.Object
			}{{"New", tt.def.New, tt.obj}, {"NewList", tt.def.NewList, tt.list}} {
				first, second := c.make(), c.make()
				if !reflect.DeepEqual(first, c.wantEmpty) {
					t.Errorf("%s() = %#v, want %#v", c.what, first, c.wantEmpty)
				}
				if first == second {
					t.Errorf("%s() returned the same object twice", c.what)
				}
			}
		})
	}
}
