package admissionregistration

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// DefaultMatchResources is SetDefaults_MatchResources, with the rules'
// scopes: matchPolicy Equivalent and selectors that match everything.
func DefaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		p := admissionregistrationv1.Equivalent
		m.MatchPolicy = &p
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			defaultRule(&rules[i].Rule)
		}
	}
}

// DefaultFailurePolicy is the policies' default: a policy that cannot be
// evaluated fails the request.
func DefaultFailurePolicy(p **admissionregistrationv1.FailurePolicyType) {
	if *p == nil {
		fail := admissionregistrationv1.Fail
		*p = &fail
	}
}

// ValidateMatchResources checks what a policy or binding matches: its
// match policy, strictly valid selectors (the type is younger than the
// lenient label value check), and its included and excluded rules.
func ValidateMatchResources(m *admissionregistrationv1.MatchResources, fld *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var errs field.ErrorList
	switch {
	case m.MatchPolicy == nil:
		errs = append(errs, field.Required(fld.Child("matchPolicy"), ""))
	case !slices.Contains(matchPolicies, *m.MatchPolicy):
		errs = append(errs, field.NotSupported(fld.Child("matchPolicy"), *m.MatchPolicy, matchPolicies))
	}
	if m.NamespaceSelector == nil {
		errs = append(errs, field.Required(fld.Child("namespaceSelector"), ""))
	} else {
		errs = append(errs, validateSelector(m.NamespaceSelector, false, fld.Child("namespaceSelector"))...)
	}
	if m.ObjectSelector == nil {
		errs = append(errs, field.Required(fld.Child("objectSelector"), ""))
	} else {
		errs = append(errs, validateSelector(m.ObjectSelector, false, fld.Child("objectSelector"))...)
	}
	for i := range m.ResourceRules {
		errs = append(errs, validateNamedRule(&m.ResourceRules[i], fld.Child("resourceRules").Index(i))...)
	}
	for i := range m.ExcludeResourceRules {
		errs = append(errs, validateNamedRule(&m.ExcludeResourceRules[i], fld.Child("excludeResourceRules").Index(i))...)
	}
	return errs
}

// validateNamedRule checks a rule limited to some resource names: each a
// path segment, none twice.
func validateNamedRule(r *admissionregistrationv1.NamedRuleWithOperations, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, name := range r.ResourceNames {
		f := fld.Child("resourceNames").Index(i)
		errs = append(errs, fieldcheck.Invalid(f, name, content.IsPathSegmentName(name))...)
		if names.Has(name) {
			errs = append(errs, field.Duplicate(f, name))
		}
		names.Insert(name)
	}
	return append(errs, validateRuleWithOperations(&r.RuleWithOperations, fld)...)
}

// mutatingOperations are the operations a mutating admission policy can
// match: there is nothing to mutate in a DELETE.
var mutatingOperations = []admissionregistrationv1.OperationType{
	admissionregistrationv1.OperationAll, admissionregistrationv1.Connect, admissionregistrationv1.Create, admissionregistrationv1.Update,
}

// ValidateMutatingOperations checks that the rules of a mutating policy or
// binding at fld match no DELETE (upstream names fld.resourceRules.operations,
// with no index).
func ValidateMutatingOperations(m *admissionregistrationv1.MatchResources, fld *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var errs field.ErrorList
	for _, r := range m.ResourceRules {
		for _, op := range r.Operations {
			if !slices.Contains(mutatingOperations, op) {
				errs = append(errs, field.NotSupported(fld.Child("resourceRules", "operations"), op, mutatingOperations))
			}
		}
	}
	return errs
}

// validateParamKind checks the kind of a policy's parameters: an
// apiVersion as an APIService would name it, and a kind that is a DNS
// label in lower case.
func validateParamKind(k admissionregistrationv1.ParamKind, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	av := fld.Child("apiVersion")
	if k.APIVersion == "" {
		errs = append(errs, field.Required(av, ""))
	} else if group, version, err := splitGroupVersion(k.APIVersion); err != nil {
		errs = append(errs, field.Invalid(av, k.APIVersion, err.Error()))
	} else {
		if group != "" {
			if msgs := validation.IsDNS1123Subdomain(group); len(msgs) > 0 {
				errs = append(errs, field.Invalid(av, group, strings.Join(msgs, ",")))
			}
		}
		if version == "" {
			errs = append(errs, field.Invalid(av, k.APIVersion, "version must be specified"))
		} else if msgs := validation.IsDNS1035Label(version); len(msgs) > 0 {
			errs = append(errs, field.Invalid(av, version, strings.Join(msgs, ",")))
		}
	}
	if k.Kind == "" {
		errs = append(errs, field.Required(fld.Child("kind"), ""))
	} else if msgs := validation.IsDNS1035Label(strings.ToLower(k.Kind)); len(msgs) > 0 {
		errs = append(errs, field.Invalid(fld.Child("kind"), k.Kind, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
	}
	return errs
}

// splitGroupVersion splits "group/version" or "version"; "/" alone is
// neither.
func splitGroupVersion(gv string) (group, version string, err error) {
	if gv == "/" {
		return "", "", nil
	}
	switch strings.Count(gv, "/") {
	case 0:
		return "", gv, nil
	case 1:
		group, version, _ = strings.Cut(gv, "/")
		return group, version, nil
	default:
		return "", "", fmt.Errorf("unexpected GroupVersion string: %v", gv)
	}
}

// parameterNotFoundActions are the values of paramRef.parameterNotFoundAction,
// in the order upstream lists them.
var parameterNotFoundActions = []admissionregistrationv1.ParameterNotFoundActionType{admissionregistrationv1.DenyAction, admissionregistrationv1.AllowAction}

// validateParamRef checks a binding's reference to its parameters: a name
// (a path segment) or a selector, not both, and what to do when none is
// found.
func validateParamRef(p *admissionregistrationv1.ParamRef, fld *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	var errs field.ErrorList
	if p.Name != "" {
		errs = append(errs, fieldcheck.Invalid(fld.Child("name"), p.Name, content.IsPathSegmentName(p.Name))...)
		if p.Selector != nil {
			errs = append(errs, field.Forbidden(fld.Child("name"), "name and selector are mutually exclusive"))
		}
	}
	if p.Selector != nil {
		errs = append(errs, validateSelector(p.Selector, false, fld.Child("selector"))...)
		if p.Name != "" {
			errs = append(errs, field.Forbidden(fld.Child("selector"), "name and selector are mutually exclusive"))
		}
	}
	if p.Name == "" && p.Selector == nil {
		errs = append(errs, field.Required(fld, "one of name or selector must be specified"))
	}
	switch a := p.ParameterNotFoundAction; {
	case a == nil || *a == "":
		errs = append(errs, field.Required(fld.Child("parameterNotFoundAction"), ""))
	case !slices.Contains(parameterNotFoundActions, *a):
		// Upstream reports the pointer, not the value.
		errs = append(errs, field.NotSupported(fld.Child("parameterNotFoundAction"), a, parameterNotFoundActions))
	}
	return errs
}

// Binding is what validating and mutating policy bindings share.
type Binding struct {
	PolicyName     string
	ParamRef       *admissionregistrationv1.ParamRef
	MatchResources *admissionregistrationv1.MatchResources
}

// ValidateBinding checks a binding's spec at spec: the policy it binds (a
// DNS subdomain), its paramRef and what it matches.
func ValidateBinding(b Binding) field.ErrorList {
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if b.PolicyName == "" {
		errs = append(errs, field.Required(fld.Child("policyName"), ""))
	} else {
		errs = append(errs, fieldcheck.Invalid(fld.Child("policyName"), b.PolicyName, apivalidation.NameIsDNSSubdomain(b.PolicyName, false))...)
	}
	errs = append(errs, validateParamRef(b.ParamRef, fld.Child("paramRef"))...)
	return append(errs, ValidateMatchResources(b.MatchResources, fld.Child("matchResources"))...)
}
