package statefulset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the statefulsets resource as kube-apiserver serves it:
// namespaced, short name sts, in the all category, a generation that
// counts spec changes, status and scale. Names must be DNS labels, since
// each pod's hostname is the name plus an ordinal; the name is checked
// only on create, as upstream does, so that objects stored under the older
// subdomain rule can still be updated and deleted.
func definition() resource.Definition {
	return resource.Define[appsv1.StatefulSet, appsv1.StatefulSetList](resource.Definition{
		Resource:   appsv1.SchemeGroupVersion.WithResource("statefulsets"),
		Namespaced: true,
		ShortNames: []string{"sts"},
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(appsv1.SchemeGroupVersion.String(),
			func(s *appsv1.StatefulSet) *appsv1.StatefulSetStatus { return &s.Status },
			func(to, from *appsv1.StatefulSet) { to.Spec = from.Spec }, true),
		Scale: resource.NewScale(
			func(s *appsv1.StatefulSet) **int32 { return &s.Spec.Replicas },
			func(s *appsv1.StatefulSet) int32 { return s.Status.Replicas },
			func(s *appsv1.StatefulSet) *metav1.LabelSelector { return s.Spec.Selector }),
		Spec:     func(obj runtime.Object) any { return obj.(*appsv1.StatefulSet).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*appsv1.StatefulSet)) },
		NameFunc: apivalidation.NameIsDNSLabel,
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*appsv1.StatefulSet))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*appsv1.StatefulSet), old.(*appsv1.StatefulSet))
		},
	})
}
