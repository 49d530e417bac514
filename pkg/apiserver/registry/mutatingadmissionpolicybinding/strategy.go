package mutatingadmissionpolicybinding

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

type binding = admissionregistrationv1.MutatingAdmissionPolicyBinding

// definition is the mutatingadmissionpolicybindings resource as
// kube-apiserver serves it: cluster-scoped, in category api-extensions,
// its generation counting spec changes.
func definition() resource.Definition {
	return resource.Define[binding, admissionregistrationv1.MutatingAdmissionPolicyBindingList](resource.Definition{
		Resource:   admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingadmissionpolicybindings"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Spec:       func(obj runtime.Object) any { return obj.(*binding).Spec },
		Defaults: func(obj runtime.Object) {
			admissionregistration.DefaultMatchResources(obj.(*binding).Spec.MatchResources)
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*binding))
		},
	})
}

// validate checks a binding as ValidateMutatingAdmissionPolicyBinding does
// (metadata is the resource package's; updates are checked alike): the
// common binding rules, and rules that match no DELETE.
func validate(b *binding) field.ErrorList {
	errs := admissionregistration.ValidateBinding(admissionregistration.Binding{
		PolicyName: b.Spec.PolicyName, ParamRef: b.Spec.ParamRef, MatchResources: b.Spec.MatchResources,
	})
	return append(errs, admissionregistration.ValidateMutatingOperations(b.Spec.MatchResources, field.NewPath("spec", "matchResources"))...)
}

// setDefaults is admissionregistration/v1's defaulting of a binding: what
// it matches, if it says, with matchPolicy Equivalent and selectors that
// match everything.
func setDefaults(b *binding) { admissionregistration.DefaultMatchResources(b.Spec.MatchResources) }
