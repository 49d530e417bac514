package validatingadmissionpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// newPolicy is a valid, defaulted policy on deployments, changed by edit.
func newPolicy(edit func(*admissionregistrationv1.ValidatingAdmissionPolicySpec)) *policy {
	p := &policy{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "object.spec.replicas <= 5"}},
		},
	}
	if edit != nil {
		edit(&p.Spec)
	}
	setDefaults(p)
	return p
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	p := newPolicy(nil)
	if f := p.Spec.FailurePolicy; f == nil || *f != admissionregistrationv1.Fail {
		t.Errorf("failurePolicy = %v, want Fail", f)
	}
	m := p.Spec.MatchConstraints
	if m.MatchPolicy == nil || *m.MatchPolicy != admissionregistrationv1.Equivalent || m.NamespaceSelector == nil || m.ObjectSelector == nil {
		t.Errorf("matchConstraints not defaulted: %+v", m)
	}
	if s := m.ResourceRules[0].Scope; s == nil || *s != admissionregistrationv1.AllScopes {
		t.Errorf("rule scope = %v, want *", s)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy *policy
		want   []string
	}{
		{"valid", newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			s.Variables = []admissionregistrationv1.Variable{{Name: "max", Expression: "int(params.data.max)"}}
			s.Validations = []admissionregistrationv1.Validation{{
				Expression: "object.spec.replicas <= variables.max", Message: "too many", Reason: ptr.To(metav1.StatusReasonInvalid),
				MessageExpression: `"at most " + params.data.max`,
			}}
			s.AuditAnnotations = []admissionregistrationv1.AuditAnnotation{{Key: "high", ValueExpression: `"replicas: " + string(object.spec.replicas)`}}
		}), nil},
		{"audit annotations only", newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations = nil
			s.AuditAnnotations = []admissionregistrationv1.AuditAnnotation{{Key: "seen", ValueExpression: `"yes"`}}
		}), nil},
		{"nothing to do", newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { s.Validations = nil }), []string{
			"spec.validations: Required value: validations or auditAnnotations must contain at least one item",
			"spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
		}},
		{"validations", newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations = []admissionregistrationv1.Validation{
				{Expression: " "},
				{Expression: "1 + 1", MessageExpression: " ", Message: "two\nlines", Reason: ptr.To(metav1.StatusReasonConflict)},
				{Expression: "true", MessageExpression: "1", Message: " "},
				{Expression: "params.x", MessageExpression: "params.y"},
			}
		}), []string{
			"spec.validations[0].expression: Required value: expression is not specified",
			`spec.validations[1].expression: Invalid value: "1 + 1": must evaluate to bool but got int`,
			`spec.validations[1].messageExpression: Invalid value: " ": must be non-empty if specified`,
			`spec.validations[1].message: Invalid value: "two\nlines": must not contain line breaks`,
			`spec.validations[1].reason: Unsupported value: "Conflict": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"`,
			`spec.validations[2].messageExpression: Invalid value: "1": must evaluate to string but got int`,
			`spec.validations[2].message: Invalid value: " ": must be non-empty if specified`,
			"spec.validations[3].expression: Invalid value: \"params.x\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x\n | ^",
			"spec.validations[3].messageExpression: Invalid value: \"params.y\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.y\n | ^",
		}},
		{"audit annotations", newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.AuditAnnotations = []admissionregistrationv1.AuditAnnotation{
				{Key: "a", ValueExpression: "1"},
				{Key: "a", ValueExpression: ""},
				{Key: "bad key", ValueExpression: `"x"`},
			}
		}), []string{
			`spec.auditAnnotations[0].valueExpression: Invalid value: "1": must evaluate to one of [string null_type] but got int`,
			"spec.auditAnnotations[1].valueExpression: Required value: valueExpression is not specified",
			`spec.auditAnnotations[1].key: Duplicate value: "a"`,
			`spec.auditAnnotations[2].key: Invalid value: "replicas/bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.policy, admissionregistration.PolicyOptions{}), tc.want)
		})
	}
}

// TestValidateUpdateKeepsStoredExpressions: an update does not compile
// unchanged match conditions again, so a stored policy whose condition no
// longer compiles can still be changed elsewhere; a changed one must
// compile.
func TestValidateUpdateKeepsStoredExpressions(t *testing.T) {
	t.Parallel()
	broken := func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
		s.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: "1"}}
	}
	old := newPolicy(broken)
	changed := newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
		broken(s)
		s.Validations[0].Expression = "object.spec.replicas <= 3"
	})
	checkErrors(t, validateUpdate(changed, old), nil)
	recompiled := newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
		s.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: "2"}}
	})
	checkErrors(t, validateUpdate(recompiled, old), []string{`spec.matchConditions[0].expression: Invalid value: "2": must evaluate to bool but got int`})
}

func TestValidateStatus(t *testing.T) {
	t.Parallel()
	status := &admissionregistrationv1.ValidatingAdmissionPolicyStatus{
		TypeChecking: &admissionregistrationv1.TypeChecking{ExpressionWarnings: []admissionregistrationv1.ExpressionWarning{
			{FieldRef: "spec.validations[0].expression", Warning: "no such field"},
			{FieldRef: "spec.validations[", Warning: ""},
		}},
		Conditions: []metav1.Condition{{Type: "Ready"}},
	}
	got := validateStatus(status)
	want := []string{
		"status.typeChecking.expressionWarnings[1].warning: Required value",
		`status.typeChecking.expressionWarnings[1].fieldRef: Invalid value: "spec.validations[": invalid JSONPath: unterminated array`,
	}
	// The condition's errors (status, reason, lastTransitionTime) are
	// apimachinery's and follow the warnings'.
	if len(got) < 3 {
		t.Fatalf("errors = %v, want the condition's too", got)
	}
	checkErrors(t, got[:2], want)
}

// checkErrors fails unless errs are exactly want, as "path: text".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	got := make([]string, len(errs))
	for i, err := range errs {
		got[i] = err.Error()
	}
	if len(want) == 0 {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
