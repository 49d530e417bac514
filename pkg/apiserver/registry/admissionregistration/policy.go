package admissionregistration

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/environment"
)

// Policy is what validating and mutating admission policies share, read
// from one of their specs.
type Policy struct {
	ParamKind        *admissionregistrationv1.ParamKind
	MatchConstraints *admissionregistrationv1.MatchResources
	FailurePolicy    *admissionregistrationv1.FailurePolicyType
	MatchConditions  []admissionregistrationv1.MatchCondition
	Variables        []admissionregistrationv1.Variable
	// Mutating limits the matched operations to those a mutation can
	// change.
	Mutating bool
}

// PolicyOptions are what an update relaxes: match conditions are not
// compiled again when neither they nor the paramKind changed, and stored
// expressions compile in the stored-expressions environment.
type PolicyOptions struct {
	IgnoreMatchConditions bool
	Stored                Stored
}

// PolicyUpdateOptions are the options of an update from old to p, whose
// stored expressions are stored.
func PolicyUpdateOptions(p, old Policy, stored Stored) PolicyOptions {
	return PolicyOptions{
		IgnoreMatchConditions: apiequality.Semantic.DeepEqual(p.ParamKind, old.ParamKind) &&
			apiequality.Semantic.DeepEqual(p.MatchConditions, old.MatchConditions),
		Stored: stored,
	}
}

// ValidatePolicy checks what every policy's spec has, at spec, in
// upstream's order: failurePolicy, paramKind, matchConstraints (with at
// least one resource rule, which gives the expressions their types),
// matchConditions, and variables, which compiler compiles and keeps for
// the expressions that follow.
func ValidatePolicy(p Policy, opts PolicyOptions, compiler func() plugincel.Compiler) field.ErrorList {
	fld := field.NewPath("spec")
	var errs field.ErrorList
	switch {
	case p.FailurePolicy == nil:
		errs = append(errs, field.Required(fld.Child("failurePolicy"), ""))
	case !slices.Contains(failurePolicies, *p.FailurePolicy):
		errs = append(errs, field.NotSupported(fld.Child("failurePolicy"), *p.FailurePolicy, failurePolicies))
	}
	if p.ParamKind != nil {
		errs = append(errs, validateParamKind(*p.ParamKind, fld.Child("paramKind"))...)
	}
	if m := p.MatchConstraints; m == nil {
		errs = append(errs, field.Required(fld.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, ValidateMatchResources(m, fld.Child("matchConstraints"))...)
		if len(m.ResourceRules) == 0 {
			errs = append(errs, field.Required(fld.Child("matchConstraints", "resourceRules"), ""))
		}
		if p.Mutating {
			errs = append(errs, ValidateMutatingOperations(m, fld.Child("matchConstraints"))...)
		}
	}
	if !opts.IgnoreMatchConditions {
		errs = append(errs, ValidateMatchConditions(p.MatchConditions, p.ParamKind != nil, opts.Stored, fld.Child("matchConditions"))...)
	}
	for i, v := range p.Variables {
		errs = append(errs, validateVariable(compiler(), v, p.ParamKind != nil, opts.Stored, fld.Child("variables").Index(i))...)
	}
	return errs
}

// celIdentifier is a CEL identifier, which a variable's name must be
// (besides not being a reserved word).
var celIdentifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)

// celReserved are CEL's reserved words.
var celReserved = sets.New("true", "false", "null", "in", "as", "break", "const", "continue", "else",
	"for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while")

// validateVariable checks a variable's name and compiles its expression
// into c, which must compose variables. Upstream looks an unchanged
// variable up among the stored validations' expressions, not the stored
// variables', and so does this.
func validateVariable(c plugincel.Compiler, v admissionregistrationv1.Variable, hasParams bool, stored Stored, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if strings.TrimSpace(v.Name) == "" {
		errs = append(errs, field.Required(fld.Child("name"), "name is not specified"))
	} else if !celIdentifier.MatchString(v.Name) || celReserved.Has(v.Name) {
		errs = append(errs, field.Invalid(fld.Child("name"), v.Name, "must be a valid CEL identifier"))
	}
	if strings.TrimSpace(v.Expression) == "" {
		return append(errs, field.Required(fld.Child("expression"), "expression is not specified"))
	}
	composited, ok := c.(*plugincel.CompositedCompiler)
	if !ok {
		return append(errs, field.InternalError(fld, errors.New("variable composition is not allowed")))
	}
	variable := &validating.Variable{Name: v.Name, Expression: v.Expression}
	result := composited.CompileAndStoreVariable(variable,
		plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
		Env(stored.Validations, v.Expression))
	if result.Error != nil {
		errs = append(errs, celError(fld.Child("expression"), v.Expression, result.Error))
	}
	return errs
}

// Compile compiles one of a policy's expressions (a validation, a
// mutation) into c, with the variables declared for it, in environment
// env, and reports a failure at fld, where an invalid value shows as
// shown (the expression as the client wrote it, or as compiled).
func Compile(c plugincel.Compiler, expr plugincel.ExpressionAccessor, decls plugincel.OptionalVariableDeclarations, env environment.Type, shown string, fld *field.Path) field.ErrorList {
	result := c.CompileCELExpression(expr, decls, env)
	if result.Error == nil {
		return nil
	}
	return field.ErrorList{celError(fld, shown, result.Error)}
}

// QualifiedName checks a name that must be a qualified name.
func QualifiedName(name string, fld *field.Path) field.ErrorList { return qualifiedName(name, fld) }

// ReinvocationPolicies are the accepted reinvocation policies, in the
// order errors list them.
func ReinvocationPolicies() []admissionregistrationv1.ReinvocationPolicyType {
	return slices.Clone(reinvocationPolicies)
}
