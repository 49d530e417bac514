package admissionregistration

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/utils/ptr"
)

// constraints are defaulted match resources of one rule, changed by edit.
func constraints(edit func(*admissionregistrationv1.MatchResources)) *admissionregistrationv1.MatchResources {
	m := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
		},
	}}}
	if edit != nil {
		edit(m)
	}
	DefaultMatchResources(m)
	return m
}

func TestDefaultMatchResources(t *testing.T) {
	t.Parallel()
	m := &admissionregistrationv1.MatchResources{ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{}}}
	DefaultMatchResources(m)
	want := &admissionregistrationv1.MatchResources{
		MatchPolicy: ptr.To(admissionregistrationv1.Equivalent), NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{},
		ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Rule: admissionregistrationv1.Rule{Scope: ptr.To(admissionregistrationv1.AllScopes)},
		}}},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("defaulted match resources (-want +got):\n%s", diff)
	}
	DefaultMatchResources(nil) // a binding without matchResources
}

func TestValidatePolicy(t *testing.T) {
	t.Parallel()
	policy := func(edit func(*Policy)) Policy {
		p := Policy{FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: constraints(nil)}
		if edit != nil {
			edit(&p)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		policy Policy
		want   []string
	}{
		{"valid", policy(func(p *Policy) {
			p.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			p.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "params", Expression: `params.data.enabled == "true"`}}
			p.Variables = []admissionregistrationv1.Variable{{Name: "replicas", Expression: "object.spec.replicas"}, {Name: "big", Expression: "variables.replicas > 5"}}
		}), nil},
		{"required", Policy{}, []string{"spec.failurePolicy: Required value", "spec.matchConstraints: Required value"}},
		{"bad failure policy, no rules", policy(func(p *Policy) {
			p.FailurePolicy = ptr.To(admissionregistrationv1.FailurePolicyType("Retry"))
			p.MatchConstraints.ResourceRules = nil
		}), []string{
			`spec.failurePolicy: Unsupported value: "Retry": supported values: "Fail", "Ignore"`,
			"spec.matchConstraints.resourceRules: Required value",
		}},
		{"match resources", policy(func(p *Policy) {
			p.MatchConstraints.MatchPolicy = ptr.To(admissionregistrationv1.MatchPolicyType("Close"))
			p.MatchConstraints.NamespaceSelector = nil
			p.MatchConstraints.ResourceRules[0].ResourceNames = []string{"a/b", "c", "c"}
			p.MatchConstraints.ExcludeResourceRules = []admissionregistrationv1.NamedRuleWithOperations{{}}
		}), []string{
			`spec.matchConstraints.matchPolicy: Unsupported value: "Close": supported values: "Equivalent", "Exact"`,
			"spec.matchConstraints.namespaceSelector: Required value",
			`spec.matchConstraints.resourceRules[0].resourceNames[0]: Invalid value: "a/b": may not contain '/'`,
			`spec.matchConstraints.resourceRules[0].resourceNames[2]: Duplicate value: "c"`,
			"spec.matchConstraints.excludeResourceRules[0].operations: Required value",
			"spec.matchConstraints.excludeResourceRules[0].apiGroups: Required value",
			"spec.matchConstraints.excludeResourceRules[0].apiVersions: Required value",
			"spec.matchConstraints.excludeResourceRules[0].resources: Required value",
		}},
		{"mutating delete", policy(func(p *Policy) {
			p.Mutating = true
			p.MatchConstraints.ResourceRules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
		}), []string{`spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`}},
		{"param kind", policy(func(p *Policy) {
			p.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "Example.com/v1/x", Kind: "Config_Map"}
		}), []string{
			`spec.paramKind.apiVersion: Invalid value: "Example.com/v1/x": unexpected GroupVersion string: Example.com/v1/x`,
			`spec.paramKind.kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{"param kind without version", policy(func(p *Policy) {
			p.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "example.com/", Kind: "Config"}
		}),
			[]string{`spec.paramKind.apiVersion: Invalid value: "example.com/": version must be specified`}},
		{"params without a param kind", policy(func(p *Policy) {
			p.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "params", Expression: "params != null"}}
		}), []string{"spec.matchConditions[0].expression: Invalid value: \"params != null\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params != null\n | ^"}},
		{"variables", policy(func(p *Policy) {
			p.Variables = []admissionregistrationv1.Variable{{Name: "if", Expression: "1"}, {Name: "", Expression: ""}, {Name: "x", Expression: "variables.nope"}}
		}), []string{
			`spec.variables[0].name: Invalid value: "if": must be a valid CEL identifier`,
			"spec.variables[1].name: Required value: name is not specified",
			"spec.variables[1].expression: Required value: expression is not specified",
			"spec.variables[2].expression: Invalid value: \"variables.nope\": compilation failed: ERROR: <input>:1:10: undefined field 'nope'\n | variables.nope\n | .........^",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := NewCompiler(true)
			checkErrors(t, ValidatePolicy(tc.policy, PolicyOptions{}, func() plugincel.Compiler { return c }), tc.want)
		})
	}
}

func TestValidateBinding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		binding Binding
		want    []string
	}{
		{"valid", Binding{PolicyName: "replicas", ParamRef: &admissionregistrationv1.ParamRef{
			Name: "limits", ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction),
		}, MatchResources: constraints(nil)}, nil},
		{"selector", Binding{PolicyName: "replicas", ParamRef: &admissionregistrationv1.ParamRef{
			Selector: &metav1.LabelSelector{}, ParameterNotFoundAction: ptr.To(admissionregistrationv1.AllowAction),
		}}, nil},
		{"no policy", Binding{}, []string{"spec.policyName: Required value"}},
		{"bad policy name", Binding{PolicyName: "Bad"}, []string{`spec.policyName: Invalid value: "Bad": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"name and selector", Binding{PolicyName: "p", ParamRef: &admissionregistrationv1.ParamRef{
			Name: "a/b", Selector: &metav1.LabelSelector{}, ParameterNotFoundAction: ptr.To(admissionregistrationv1.ParameterNotFoundActionType("Skip")),
		}}, []string{
			`spec.paramRef.name: Invalid value: "a/b": may not contain '/'`,
			"spec.paramRef.name: Forbidden: name and selector are mutually exclusive",
			"spec.paramRef.selector: Forbidden: name and selector are mutually exclusive",
			`spec.paramRef.parameterNotFoundAction: Unsupported value: "Skip": supported values: "Deny", "Allow"`,
		}},
		{"neither", Binding{PolicyName: "p", ParamRef: &admissionregistrationv1.ParamRef{}}, []string{
			"spec.paramRef: Required value: one of name or selector must be specified",
			"spec.paramRef.parameterNotFoundAction: Required value",
		}},
		{"match resources", Binding{PolicyName: "p", MatchResources: &admissionregistrationv1.MatchResources{}}, []string{
			"spec.matchResources.matchPolicy: Required value",
			"spec.matchResources.namespaceSelector: Required value",
			"spec.matchResources.objectSelector: Required value",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, ValidateBinding(tc.binding), tc.want)
		})
	}
}

func TestCells(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want string
	}{
		{ParamKindCell(nil), "<unset>"},
		{ParamKindCell(&admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}), "v1/ConfigMap"},
		{ParamRefCell(nil), "<unset>"},
		{ParamRefCell(&admissionregistrationv1.ParamRef{Name: "a", Namespace: "ns"}), "ns/a"},
		{ParamRefCell(&admissionregistrationv1.ParamRef{Name: "a"}), "*/a"},
		{ParamRefCell(&admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}),
			"&LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{},}"},
		{ParamRefCell(&admissionregistrationv1.ParamRef{}), "<unset>"},
	} {
		if tc.got != tc.want {
			t.Errorf("cell = %q, want %q", tc.got, tc.want)
		}
	}
}
