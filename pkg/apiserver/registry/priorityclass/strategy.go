package priorityclass

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the priorityclasses resource as kube-apiserver serves it:
// cluster-scoped, short name pc, no status.
func definition() resource.Definition {
	return resource.Define[schedulingv1.PriorityClass, schedulingv1.PriorityClassList](resource.Definition{
		Resource:   schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"),
		ShortNames: []string{"pc"},
		Table:      table,
		Defaults:   func(obj runtime.Object) { setDefaults(obj.(*schedulingv1.PriorityClass)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*schedulingv1.PriorityClass))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*schedulingv1.PriorityClass), old.(*schedulingv1.PriorityClass))
		},
		Delete: deleteUnlessSystem,
	})
}

// deleteUnlessSystem deletes a class, but never a system class, as
// kube-apiserver's priorityclasses storage.
func deleteUnlessSystem(ctx context.Context, store *genericregistry.Store, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	for _, c := range SystemClasses() {
		if c.Name == name {
			return nil, false, apierrors.NewForbidden(schedulingv1.Resource("priorityclasses"), name, errors.New("this is a system priority class and cannot be deleted"))
		}
	}
	return store.Delete(ctx, name, validate, options)
}

// setDefaults is scheduling/v1's SetDefaults_PriorityClass: a class
// preempts lower priorities unless it says otherwise.
func setDefaults(c *schedulingv1.PriorityClass) {
	if c.PreemptionPolicy == nil {
		policy := corev1.PreemptLowerPriority
		c.PreemptionPolicy = &policy
	}
}
