package admissionregistration

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// maxMatchConditions is how many match conditions a webhook or policy may
// have.
const maxMatchConditions = 64

// Stored holds the CEL expressions of the object an update replaces. An
// expression that is already stored is compiled in the stored-expressions
// environment, which also knows the CEL libraries newer servers allow, so
// that a rollback or a change elsewhere in the object never makes it
// invalid; the zero Stored (a create) compiles everything as new.
type Stored struct {
	MatchConditions     sets.Set[string]
	Validations         sets.Set[string]
	Messages            sets.Set[string]
	AuditAnnotations    sets.Set[string]
	ApplyConfigurations sets.Set[string]
	JSONPatches         sets.Set[string]
}

// Env returns the environment to compile expr in: the stored-expressions
// one if stored (one of a Stored's sets) holds it.
func Env(stored sets.Set[string], expr string) environment.Type {
	if stored.Has(expr) {
		return environment.StoredExpressions
	}
	return environment.NewExpressions
}

// StoredMatchConditions returns the stored match condition expressions of
// conditions.
func StoredMatchConditions(conditions ...[]admissionregistrationv1.MatchCondition) Stored {
	s := Stored{MatchConditions: sets.New[string]()}
	for _, cs := range conditions {
		for _, c := range cs {
			s.MatchConditions.Insert(c.Expression)
		}
	}
	return s
}

// statelessCompiler compiles expressions that cannot see variables (match
// conditions, and policies without any). Building its environments takes a
// while and nothing changes them afterwards, so every cluster in the
// process shares one, as kube-apiserver builds it once.
var statelessCompiler = sync.OnceValue(func() plugincel.Compiler {
	return plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
})

// NewCompiler returns the compiler of one policy's expressions: with
// composition, each variable it compiles becomes visible to the
// expressions compiled after it (the compiler is then stateful, so it
// serves one object only); without, the shared stateless one.
func NewCompiler(composition bool) plugincel.Compiler {
	if !composition {
		return statelessCompiler()
	}
	c, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		// Cannot happen with the base environment; without composition
		// the variables are reported as not allowed.
		return statelessCompiler()
	}
	return c
}

// celError is the field error of a CEL compilation error.
func celError(fld *field.Path, expr string, err error) *field.Error {
	var celErr *apiservercel.Error
	if errors.As(err, &celErr) {
		switch celErr.Type {
		case apiservercel.ErrorTypeRequired:
			return field.Required(fld, celErr.Detail)
		case apiservercel.ErrorTypeInvalid:
			return field.Invalid(fld, expr, celErr.Detail)
		case apiservercel.ErrorTypeInternal:
			return field.InternalError(fld, celErr)
		}
	}
	return field.InternalError(fld, fmt.Errorf("unsupported error type: %w", err))
}

// ValidateMatchConditions checks match conditions: at most 64, each with a
// unique qualified name and an expression that compiles to a bool, with
// params declared if hasParams (policies with a paramKind).
func ValidateMatchConditions(conditions []admissionregistrationv1.MatchCondition, hasParams bool, stored Stored, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(conditions) > maxMatchConditions {
		errs = append(errs, field.TooMany(fld, len(conditions), maxMatchConditions))
	}
	names := sets.New[string]()
	for i, c := range conditions {
		f := fld.Index(i)
		if expr := strings.TrimSpace(c.Expression); expr == "" {
			errs = append(errs, field.Required(f.Child("expression"), ""))
		} else {
			mc := matchconditions.MatchCondition{Expression: expr}
			errs = append(errs, Compile(statelessCompiler(), &mc,
				plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
				Env(stored.MatchConditions, expr), expr, f.Child("expression"))...)
		}
		if c.Name == "" {
			errs = append(errs, field.Required(f.Child("name"), ""))
		} else {
			errs = append(errs, qualifiedName(c.Name, f.Child("name"))...)
		}
		if c.Name != "" {
			if names.Has(c.Name) {
				errs = append(errs, field.Duplicate(f.Child("name"), c.Name))
			}
			names.Insert(c.Name)
		}
	}
	return errs
}
