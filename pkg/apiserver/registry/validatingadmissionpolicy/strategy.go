package validatingadmissionpolicy

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

type policy = admissionregistrationv1.ValidatingAdmissionPolicy

// definition is the validatingadmissionpolicies resource as kube-apiserver
// serves it: cluster-scoped, in category api-extensions, spec and status
// split (a new policy's status is cleared), its generation counting spec
// changes for status.observedGeneration.
func definition() resource.Definition {
	gv := admissionregistrationv1.SchemeGroupVersion
	status := resource.NewStatusSplit(gv.String(), func(p *policy) *admissionregistrationv1.ValidatingAdmissionPolicyStatus { return &p.Status },
		func(to, from *policy) { to.Spec = from.Spec }, true)
	status.ValidateUpdate = func(_ context.Context, obj, _ runtime.Object) field.ErrorList {
		return validateStatus(&obj.(*policy).Status)
	}
	return resource.Define[policy, admissionregistrationv1.ValidatingAdmissionPolicyList](resource.Definition{
		Resource:   gv.WithResource("validatingadmissionpolicies"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Status:     status,
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

// setDefaults is admissionregistration/v1's defaulting of a policy: it
// fails closed, and matches with matchPolicy Equivalent and selectors
// that match everything.
func setDefaults(p *policy) {
	admissionregistration.DefaultFailurePolicy(&p.Spec.FailurePolicy)
	admissionregistration.DefaultMatchResources(p.Spec.MatchConstraints)
}
