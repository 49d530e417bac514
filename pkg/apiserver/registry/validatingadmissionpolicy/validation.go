package validatingadmissionpolicy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/client-go/util/jsonpath"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

const (
	// maxAuditAnnotations is how many audit annotations a policy may have.
	maxAuditAnnotations = 20
	// maxValueExpressionLength bounds an audit annotation's expression,
	// below the 10 KiB of the value, which concatenation makes longer.
	maxValueExpressionLength = 5 * 1024
)

// reasons are the validation failure reasons a policy may give.
var reasons = []metav1.StatusReason{metav1.StatusReasonForbidden, metav1.StatusReasonInvalid, metav1.StatusReasonRequestEntityTooLarge}

// newlines are the line breaks of CEL's grammar, which a message must not
// contain.
var newlines = regexp.MustCompile(`[\n\r]+`)

// common is the part of p every policy has.
func common(p *policy) admissionregistration.Policy {
	s := &p.Spec
	return admissionregistration.Policy{
		ParamKind: s.ParamKind, MatchConstraints: s.MatchConstraints, FailurePolicy: s.FailurePolicy,
		MatchConditions: s.MatchConditions, Variables: s.Variables,
	}
}

// validate checks a policy as ValidateValidatingAdmissionPolicy does
// (metadata is the resource package's): the common spec, then at least one
// validation or audit annotation, each of whose expressions compiles.
func validate(p *policy, opts admissionregistration.PolicyOptions) field.ErrorList {
	spec := &p.Spec
	// A compiler that composes variables keeps them, so it is made for
	// this policy alone, and only when the policy has variables.
	var compiler plugincel.Compiler
	getCompiler := func() plugincel.Compiler {
		if compiler == nil {
			compiler = admissionregistration.NewCompiler(len(spec.Variables) > 0)
		}
		return compiler
	}
	errs := admissionregistration.ValidatePolicy(common(p), opts, getCompiler)
	fld := field.NewPath("spec")
	hasParams := spec.ParamKind != nil
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		const msg = "validations or auditAnnotations must contain at least one item"
		return append(errs, field.Required(fld.Child("validations"), msg), field.Required(fld.Child("auditAnnotations"), msg))
	}
	for i, v := range spec.Validations {
		errs = append(errs, validateValidation(getCompiler(), v, hasParams, opts.Stored, fld.Child("validations").Index(i))...)
	}
	if spec.AuditAnnotations == nil {
		return errs
	}
	if len(spec.AuditAnnotations) > maxAuditAnnotations {
		errs = append(errs, field.Invalid(fld.Child("auditAnnotations"), spec.AuditAnnotations, fmt.Sprintf("must not have more than %d auditAnnotations", maxAuditAnnotations)))
	}
	keys := sets.New[string]()
	for i, a := range spec.AuditAnnotations {
		f := fld.Child("auditAnnotations").Index(i)
		errs = append(errs, validateAuditAnnotation(getCompiler(), p.Name, a, hasParams, opts.Stored, f)...)
		if keys.Has(a.Key) {
			errs = append(errs, field.Duplicate(f.Child("key"), a.Key))
		}
		keys.Insert(a.Key)
	}
	return errs
}

// validateUpdate is validate with what the stored policy relaxes:
// unchanged match conditions are not compiled again, and unchanged
// expressions compile in the stored-expressions environment.
func validateUpdate(p, old *policy) field.ErrorList {
	return validate(p, admissionregistration.PolicyUpdateOptions(common(p), common(old), stored(old)))
}

// stored returns the expressions of a stored policy.
func stored(p *policy) admissionregistration.Stored {
	s := admissionregistration.StoredMatchConditions(p.Spec.MatchConditions)
	s.Validations, s.Messages, s.AuditAnnotations = sets.New[string](), sets.New[string](), sets.New[string]()
	for _, v := range p.Spec.Validations {
		s.Validations.Insert(v.Expression)
		if v.MessageExpression != "" {
			s.Messages.Insert(v.MessageExpression)
		}
	}
	for _, a := range p.Spec.AuditAnnotations {
		s.AuditAnnotations.Insert(a.ValueExpression)
	}
	return s
}

// validateValidation checks one validation: an expression that compiles
// to a bool, a message expression that compiles to a string (params but
// no authorizer declared), a one-line message and a known reason.
func validateValidation(c plugincel.Compiler, v admissionregistrationv1.Validation, hasParams bool, s admissionregistration.Stored, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if strings.TrimSpace(v.Expression) == "" {
		errs = append(errs, field.Required(fld.Child("expression"), "expression is not specified"))
	} else {
		errs = append(errs, admissionregistration.Compile(c, &validating.ValidationCondition{Expression: v.Expression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
			admissionregistration.Env(s.Validations, v.Expression),
			v.Expression, fld.Child("expression"))...)
	}
	switch message := strings.TrimSpace(v.MessageExpression); {
	case v.MessageExpression != "" && message == "":
		errs = append(errs, field.Invalid(fld.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
	case message != "":
		// The untrimmed expression, so that the compiler's columns match.
		errs = append(errs, admissionregistration.Compile(c, &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams},
			admissionregistration.Env(s.Messages, v.MessageExpression),
			v.MessageExpression, fld.Child("messageExpression"))...)
	}
	switch message := strings.TrimSpace(v.Message); {
	case v.Message != "" && message == "":
		errs = append(errs, field.Invalid(fld.Child("message"), v.Message, "must be non-empty if specified"))
	case newlines.MatchString(message):
		errs = append(errs, field.Invalid(fld.Child("message"), v.Message, "must not contain line breaks"))
	}
	if v.Reason != nil && !slices.Contains(reasons, *v.Reason) {
		errs = append(errs, field.NotSupported(fld.Child("reason"), *v.Reason, reasons))
	}
	return errs
}

// validateAuditAnnotation checks one audit annotation: its key, which
// joined to the policy's name must be a qualified name, and a value
// expression of at most 5 KiB that compiles to a string or null.
func validateAuditAnnotation(c plugincel.Compiler, policyName string, a admissionregistrationv1.AuditAnnotation, hasParams bool, s admissionregistration.Stored, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if policyName != "" {
		errs = append(errs, admissionregistration.QualifiedName(policyName+"/"+a.Key, fld.Child("key"))...)
	} else {
		errs = append(errs, field.Invalid(fld.Child("key"), a.Key, "requires metadata.name be non-empty"))
	}
	switch expr := strings.TrimSpace(a.ValueExpression); {
	case expr == "":
		errs = append(errs, field.Required(fld.Child("valueExpression"), "valueExpression is not specified"))
	case len(expr) > maxValueExpressionLength:
		errs = append(errs, field.Required(fld.Child("valueExpression"), fmt.Sprintf("must not exceed %d bytes in length", maxValueExpressionLength)))
	default:
		errs = append(errs, admissionregistration.Compile(c, &validating.AuditAnnotationCondition{ValueExpression: expr},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
			admissionregistration.Env(s.AuditAnnotations, a.ValueExpression),
			a.ValueExpression, fld.Child("valueExpression"))...)
	}
	return errs
}

// validateStatus checks a status update as
// ValidateValidatingAdmissionPolicyStatusUpdate does: each type-checking
// warning has a text and a field reference that parses as a JSONPath, and
// the conditions are valid conditions.
func validateStatus(s *admissionregistrationv1.ValidatingAdmissionPolicyStatus) field.ErrorList {
	fld := field.NewPath("status")
	var errs field.ErrorList
	if tc := s.TypeChecking; tc != nil {
		for i, w := range tc.ExpressionWarnings {
			f := fld.Child("typeChecking", "expressionWarnings").Index(i)
			if w.Warning == "" {
				errs = append(errs, field.Required(f.Child("warning"), ""))
			}
			errs = append(errs, validateFieldRef(w.FieldRef, f.Child("fieldRef"))...)
		}
	}
	return append(errs, metav1validation.ValidateConditions(s.Conditions, fld.Child("conditions"))...)
}

// validateFieldRef checks that a warning's field reference parses as a
// JSONPath; nothing more, so that upgrades and rollbacks keep it valid.
func validateFieldRef(ref string, fld *field.Path) field.ErrorList {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return field.ErrorList{field.Required(fld, "")}
	}
	if err := jsonpath.New("spec").Parse("{" + ref + "}"); err != nil {
		return field.ErrorList{field.Invalid(fld, ref, fmt.Sprintf("invalid JSONPath: %v", err))}
	}
	return nil
}
