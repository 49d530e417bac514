package daemonset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the daemonsets resource as kube-apiserver serves it:
// namespaced, short name ds, in the all category, a generation that counts
// spec changes, and status; no scale, since the nodes decide how many pods
// there are.
func definition() resource.Definition {
	return resource.Define[appsv1.DaemonSet, appsv1.DaemonSetList](resource.Definition{
		Resource:   appsv1.SchemeGroupVersion.WithResource("daemonsets"),
		Namespaced: true,
		ShortNames: []string{"ds"},
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(appsv1.SchemeGroupVersion.String(),
			func(ds *appsv1.DaemonSet) *appsv1.DaemonSetStatus { return &ds.Status },
			func(to, from *appsv1.DaemonSet) {
				to.Spec = from.Spec
				keepTemplateGeneration(to, from)
			}, true),
		Spec:     func(obj runtime.Object) any { return obj.(*appsv1.DaemonSet).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*appsv1.DaemonSet)) },
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			startTemplateGeneration(obj.(*appsv1.DaemonSet))
		},
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			countTemplateChange(obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet))
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*appsv1.DaemonSet))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet))
		},
	})
}
