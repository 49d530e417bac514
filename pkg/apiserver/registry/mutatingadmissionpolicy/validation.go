package mutatingadmissionpolicy

import (
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// patchTypes are the kinds of mutation, in the order errors list them.
var patchTypes = []admissionregistrationv1.PatchType{admissionregistrationv1.PatchTypeApplyConfiguration, admissionregistrationv1.PatchTypeJSONPatch}

// common is the part of p every policy has.
func common(p *policy) admissionregistration.Policy {
	s := &p.Spec
	return admissionregistration.Policy{
		ParamKind: s.ParamKind, MatchConstraints: s.MatchConstraints, FailurePolicy: s.FailurePolicy,
		MatchConditions: s.MatchConditions, Variables: s.Variables, Mutating: true,
	}
}

// validate checks a policy as ValidateMutatingAdmissionPolicy does
// (metadata is the resource package's): the common spec (matching no
// DELETE), at least one mutation whose expression compiles to its patch
// type, and a reinvocation policy.
func validate(p *policy, opts admissionregistration.PolicyOptions) field.ErrorList {
	// Upstream always composes variables for mutating policies.
	compiler := admissionregistration.NewCompiler(true)
	errs := admissionregistration.ValidatePolicy(common(p), opts, func() plugincel.Compiler { return compiler })
	spec := &p.Spec
	fld := field.NewPath("spec")
	if len(spec.Mutations) == 0 {
		errs = append(errs, field.Required(fld.Child("mutations"), "mutations must contain at least one item"))
	}
	for i, m := range spec.Mutations {
		errs = append(errs, validateMutation(compiler, m, spec.ParamKind != nil, opts.Stored, fld.Child("mutations").Index(i))...)
	}
	rp := spec.ReinvocationPolicy
	switch supported := admissionregistration.ReinvocationPolicies(); {
	case rp == "":
		errs = append(errs, field.Required(fld.Child("reinvocationPolicy"), ""))
	case !slices.Contains(supported, rp):
		errs = append(errs, field.NotSupported(fld.Child("reinvocationPolicy"), rp, supported))
	}
	return errs
}

// validateUpdate is validate with what the stored policy relaxes.
func validateUpdate(p, old *policy) field.ErrorList {
	return validate(p, admissionregistration.PolicyUpdateOptions(common(p), common(old), stored(old)))
}

// stored returns the expressions of a stored policy.
func stored(p *policy) admissionregistration.Stored {
	s := admissionregistration.StoredMatchConditions(p.Spec.MatchConditions)
	s.ApplyConfigurations, s.JSONPatches = sets.New[string](), sets.New[string]()
	for _, m := range p.Spec.Mutations {
		if m.ApplyConfiguration != nil {
			s.ApplyConfigurations.Insert(m.ApplyConfiguration.Expression)
		}
		if m.JSONPatch != nil {
			s.JSONPatches.Insert(m.JSONPatch.Expression)
		}
	}
	return s
}

// validateMutation checks that a mutation has the one patch its type
// names, and compiles it.
func validateMutation(c plugincel.Compiler, m admissionregistrationv1.Mutation, hasParams bool, s admissionregistration.Stored, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch m.PatchType {
	case "":
		errs = append(errs, field.Required(fld.Child("patchType"), ""))
	case admissionregistrationv1.PatchTypeJSONPatch:
		if m.JSONPatch == nil {
			errs = append(errs, field.Required(fld.Child("jsonPatch"), "must be specified when patchType is JSONPatch"))
		} else {
			// Upstream looks an unchanged JSON patch up among the stored
			// apply configurations, and so does this.
			errs = append(errs, compilePatch(c, m.JSONPatch.Expression, s.ApplyConfigurations, hasParams,
				func(expr string) plugincel.ExpressionAccessor { return &patch.JSONPatchCondition{Expression: expr} }, fld.Child("jsonPatch"))...)
		}
		if m.ApplyConfiguration != nil {
			errs = append(errs, field.Invalid(fld.Child("applyConfiguration"), "{applyConfiguration}", "must not be specified when patchType is JSONPatch"))
		}
	case admissionregistrationv1.PatchTypeApplyConfiguration:
		if m.ApplyConfiguration == nil {
			errs = append(errs, field.Required(fld.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"))
		} else {
			errs = append(errs, compilePatch(c, m.ApplyConfiguration.Expression, s.ApplyConfigurations, hasParams,
				func(expr string) plugincel.ExpressionAccessor {
					return &patch.ApplyConfigurationCondition{Expression: expr}
				}, fld.Child("applyConfiguration"))...)
		}
		if m.JSONPatch != nil {
			errs = append(errs, field.Invalid(fld.Child("jsonPatch"), "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"))
		}
	default:
		errs = append(errs, field.NotSupported(fld.Child("patchType"), m.PatchType, patchTypes))
	}
	return errs
}

// compilePatch compiles a patch's expression (trimmed) with params,
// authorizer and the patch types declared, at fld.expression.
func compilePatch(c plugincel.Compiler, expr string, stored sets.Set[string], hasParams bool, accessor func(string) plugincel.ExpressionAccessor, fld *field.Path) field.ErrorList {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return field.ErrorList{field.Required(fld.Child("expression"), "")}
	}
	return admissionregistration.Compile(c, accessor(trimmed),
		plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true, HasPatchTypes: true},
		admissionregistration.Env(stored, expr), trimmed, fld.Child("expression"))
}
