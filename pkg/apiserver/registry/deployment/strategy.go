package deployment

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the deployments resource as kube-apiserver serves it:
// namespaced, short name deploy, in the all category, a generation that
// counts spec changes, status and scale.
func definition() resource.Definition {
	return resource.Define[appsv1.Deployment, appsv1.DeploymentList](resource.Definition{
		Resource:   appsv1.SchemeGroupVersion.WithResource("deployments"),
		Namespaced: true,
		ShortNames: []string{"deploy"},
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(appsv1.SchemeGroupVersion.String(),
			func(d *appsv1.Deployment) *appsv1.DeploymentStatus { return &d.Status },
			func(to, from *appsv1.Deployment) { to.Spec = from.Spec }, true),
		Scale: resource.NewScale(
			func(d *appsv1.Deployment) **int32 { return &d.Spec.Replicas },
			func(d *appsv1.Deployment) int32 { return d.Status.Replicas },
			func(d *appsv1.Deployment) *metav1.LabelSelector { return d.Spec.Selector }),
		Spec:     func(obj runtime.Object) any { return obj.(*appsv1.Deployment).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*appsv1.Deployment)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*appsv1.Deployment))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*appsv1.Deployment), old.(*appsv1.Deployment))
		},
	})
}
