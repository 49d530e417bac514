package validatingadmissionpolicybinding

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// actions are the validation actions a binding may take, in the order
// errors list them.
var actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit, admissionregistrationv1.Deny, admissionregistrationv1.Warn}

// validate checks a binding as ValidateValidatingAdmissionPolicyBinding
// does (metadata is the resource package's); updates are checked alike.
func validate(b *binding) field.ErrorList {
	errs := admissionregistration.ValidateBinding(admissionregistration.Binding{
		PolicyName: b.Spec.PolicyName, ParamRef: b.Spec.ParamRef, MatchResources: b.Spec.MatchResources,
	})
	return append(errs, validateActions(b.Spec.ValidationActions, field.NewPath("spec", "validationActions"))...)
}

// validateActions checks a binding's actions: known, each once, at least
// one, and not both Deny and Warn, which would say the same twice.
func validateActions(va []admissionregistrationv1.ValidationAction, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[admissionregistrationv1.ValidationAction]()
	for i, a := range va {
		if !slices.Contains(actions, a) {
			errs = append(errs, field.NotSupported(fld.Index(i), a, actions))
		}
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(fld.Index(i), a))
		}
		seen.Insert(a)
	}
	if seen.Has(admissionregistrationv1.Deny) && seen.Has(admissionregistrationv1.Warn) {
		errs = append(errs, field.Invalid(fld, va, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		errs = append(errs, field.Required(fld, "at least one validation action is required"))
	}
	return errs
}
