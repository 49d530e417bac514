package service

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the services resource as kube-apiserver serves it. Its
// storage hooks are allocator's (cluster IPs, IP families, node ports),
// which run before the strategy clears the fields a changed type no longer
// uses and validates; a nil allocator allocates nothing.
func definition(allocator Allocator) resource.Definition {
	gv := corev1.SchemeGroupVersion
	d := resource.Define[corev1.Service, corev1.ServiceList](resource.Definition{
		Resource: gv.WithResource("services"), Namespaced: true,
		ShortNames: []string{"svc"}, Categories: []string{"all"}, Table: table, NameFunc: validation.NameIsDNS1035Label,
		Status: resource.NewStatusSplit(gv.String(), func(s *corev1.Service) *corev1.ServiceStatus { return &s.Status },
			func(to, from *corev1.Service) { to.Spec = from.Spec }, true),
		Defaults: func(obj runtime.Object) { SetDefaults(obj.(*corev1.Service)) },
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			DropTypeDependentFields(obj.(*corev1.Service), old.(*corev1.Service))
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return Validate(obj.(*corev1.Service))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return ValidateUpdate(obj.(*corev1.Service), old.(*corev1.Service))
		},
		Fields: func(obj runtime.Object) fields.Set {
			svc := obj.(*corev1.Service)
			return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
		},
		FieldLabels: []string{"spec.clusterIP", "spec.type"},
	})
	if allocator != nil {
		d.BeginCreate, d.BeginUpdate = allocator.BeginCreate, allocator.BeginUpdate
		d.AfterDelete, d.Decorator = allocator.AfterDelete, allocator.Decorate
	}
	return d
}
