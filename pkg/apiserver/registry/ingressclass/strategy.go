package ingressclass

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the ingressclasses resource as kube-apiserver serves it:
// cluster-scoped, no status, no short name.
func definition() resource.Definition {
	return resource.Define[networkingv1.IngressClass, networkingv1.IngressClassList](resource.Definition{
		Resource: networkingv1.SchemeGroupVersion.WithResource("ingressclasses"),
		Table:    table,
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*networkingv1.IngressClass)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*networkingv1.IngressClass))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*networkingv1.IngressClass), old.(*networkingv1.IngressClass))
		},
	})
}

// setDefaults is networking/v1's SetDefaults_IngressClass: parameters
// without a scope refer to a cluster-scoped object.
func setDefaults(c *networkingv1.IngressClass) {
	if p := c.Spec.Parameters; p != nil && p.Scope == nil {
		scope := networkingv1.IngressClassParametersReferenceScopeCluster
		p.Scope = &scope
	}
}
