package replicaset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// definition is the replicasets resource as kube-apiserver serves it:
// namespaced, short name rs, in the all category, a generation that counts
// spec changes, status and scale.
func definition() resource.Definition {
	return resource.Define[appsv1.ReplicaSet, appsv1.ReplicaSetList](resource.Definition{
		Resource:   appsv1.SchemeGroupVersion.WithResource("replicasets"),
		Namespaced: true,
		ShortNames: []string{"rs"},
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(appsv1.SchemeGroupVersion.String(),
			func(rs *appsv1.ReplicaSet) *appsv1.ReplicaSetStatus { return &rs.Status },
			func(to, from *appsv1.ReplicaSet) { to.Spec = from.Spec }, true),
		Scale: resource.NewScale(
			func(rs *appsv1.ReplicaSet) **int32 { return &rs.Spec.Replicas },
			func(rs *appsv1.ReplicaSet) int32 { return rs.Status.Replicas },
			func(rs *appsv1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector }),
		Spec:     func(obj runtime.Object) any { return obj.(*appsv1.ReplicaSet).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*appsv1.ReplicaSet)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*appsv1.ReplicaSet))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			rs, oldRS := obj.(*appsv1.ReplicaSet), old.(*appsv1.ReplicaSet)
			return append(validate(rs), apivalidation.ValidateImmutableField(rs.Spec.Selector, oldRS.Spec.Selector, field.NewPath("spec", "selector"))...)
		},
	})
}

// setDefaults is apps/v1's SetObjectDefaults_ReplicaSet: one replica and
// the pod template's spec defaults.
func setDefaults(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	pod.SetSpecDefaults(&rs.Spec.Template.Spec)
}

// validate checks a ReplicaSet's spec as ValidateReplicaSetSpec does
// (upstream's texts say deployment for an empty selector here too).
func validate(rs *appsv1.ReplicaSet) field.ErrorList {
	spec := &rs.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.Replicas != nil {
		errs = append(errs, workload.ValidateNonnegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.ValidateNonnegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	selector, selErrs := workload.ValidateSelector(spec.Selector, "deployment", fld.Child("selector"))
	errs = append(errs, selErrs...)
	return append(errs, pod.ValidateServingTemplate(&spec.Template, selector, "ReplicaSet", fld.Child("template"))...)
}
