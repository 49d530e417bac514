package namespace

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the namespaces resource as kube-apiserver serves it.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.Namespace, corev1.NamespaceList](resource.Definition{
		Resource:   gv.WithResource("namespaces"),
		ShortNames: []string{"ns"}, NameFunc: validation.NameIsDNSLabel,
		Status: resource.NewStatusSplit(gv.String(), func(n *corev1.Namespace) *corev1.NamespaceStatus { return &n.Status },
			func(to, from *corev1.Namespace) { to.Spec = from.Spec }, true),
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.Namespace)) },
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			ns := obj.(*corev1.Namespace)
			ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
			if !hasFinalizer(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
				ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
			}
		},
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			// Finalizers change only through the finalize subresource.
			obj.(*corev1.Namespace).Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
		},
		Fields: func(obj runtime.Object) fields.Set {
			return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
		},
		FieldLabels: []string{"status.phase"},
		// Like kube-apiserver's ShouldDeleteNamespaceDuringUpdate: a
		// terminating namespace stays until spec.finalizers is empty too,
		// whatever updates its status in the meantime.
		KeepDuringUpdate: func(obj runtime.Object) bool {
			return len(obj.(*corev1.Namespace).Spec.Finalizers) != 0
		},
		Delete:             deleteNamespace,
		NoDeleteCollection: true,
		Table:              table,
	})
}

// setDefaults makes a namespace Active and labels it with its name.
func setDefaults(ns *corev1.Namespace) {
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
}

func hasFinalizer(finalizers []corev1.FinalizerName, f corev1.FinalizerName) bool {
	for _, x := range finalizers {
		if x == f {
			return true
		}
	}
	return false
}

// finalizeStrategy takes spec.finalizers from the request and everything
// else that the main resource guards from storage.
type finalizeStrategy struct{ rest.RESTUpdateStrategy }

func (finalizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, oldNS := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	ns.Status = oldNS.Status
}
