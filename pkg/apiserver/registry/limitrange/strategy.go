package limitrange

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the limitranges resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.LimitRange, corev1.LimitRangeList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("limitranges"), Namespaced: true,
		ShortNames: []string{"limits"}, Table: table,
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.LimitRange)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*corev1.LimitRange))
		},
	})
}

// setDefaults is core/v1's SetDefaults_LimitRangeItem for each item: a
// Container item's default limit falls back to its max, and its default
// request to the default limit, then to the min.
func setDefaults(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		if item.Default == nil {
			item.Default = corev1.ResourceList{}
		}
		if item.DefaultRequest == nil {
			item.DefaultRequest = corev1.ResourceList{}
		}
		fill(item.Default, item.Max)
		fill(item.DefaultRequest, item.Default)
		fill(item.DefaultRequest, item.Min)
	}
}

// fill copies into list each resource of from that list lacks.
func fill(list, from corev1.ResourceList) {
	for name, q := range from {
		if _, ok := list[name]; !ok {
			list[name] = q.DeepCopy()
		}
	}
}
