package mutatingadmissionpolicy

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

type policy = admissionregistrationv1.MutatingAdmissionPolicy

// definition is the mutatingadmissionpolicies resource as kube-apiserver
// serves it: cluster-scoped, in category api-extensions, no status, its
// generation counting spec changes.
func definition() resource.Definition {
	return resource.Define[policy, admissionregistrationv1.MutatingAdmissionPolicyList](resource.Definition{
		Resource:   admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingadmissionpolicies"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Spec:       func(obj runtime.Object) any { return obj.(*policy).Spec },
		Defaults:   func(obj runtime.Object) { setDefaults(obj.(*policy)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*policy), admissionregistration.PolicyOptions{})
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*policy), old.(*policy))
		},
	})
}

// setDefaults is admissionregistration/v1's defaulting of a mutating
// policy: it fails closed and matches with matchPolicy Equivalent and
// selectors that match everything. reinvocationPolicy has no default.
func setDefaults(p *policy) {
	admissionregistration.DefaultFailurePolicy(&p.Spec.FailurePolicy)
	admissionregistration.DefaultMatchResources(p.Spec.MatchConstraints)
}
