package controllerrevision

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the controllerrevisions resource as kube-apiserver serves
// it: namespaced, with no short name, category, status or generation.
func definition() resource.Definition {
	return resource.Define[appsv1.ControllerRevision, appsv1.ControllerRevisionList](resource.Definition{
		Resource:   appsv1.SchemeGroupVersion.WithResource("controllerrevisions"),
		Namespaced: true,
		Table:      table,
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*appsv1.ControllerRevision))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*appsv1.ControllerRevision), old.(*appsv1.ControllerRevision))
		},
	})
}
