package mutatingadmissionpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// labelling is an apply configuration that labels the object.
const labelling = `Object{metadata: Object.metadata{labels: {"managed": "true"}}}`

// newPolicy is a valid, defaulted policy on deployments, changed by edit.
func newPolicy(edit func(*admissionregistrationv1.MutatingAdmissionPolicySpec)) *policy {
	p := &policy{
		ObjectMeta: metav1.ObjectMeta{Name: "add-labels"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
				},
			}}},
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType:          admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: labelling},
			}},
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
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
	if m := p.Spec.MatchConstraints; m.MatchPolicy == nil || m.NamespaceSelector == nil || m.ObjectSelector == nil {
		t.Errorf("matchConstraints not defaulted: %+v", m)
	}
	if p := newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) { s.ReinvocationPolicy = "" }); p.Spec.ReinvocationPolicy != "" {
		t.Errorf("reinvocationPolicy defaulted to %q; it is required", p.Spec.ReinvocationPolicy)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy *policy
		want   []string
	}{
		{"valid apply configuration", newPolicy(nil), nil},
		{"valid JSON patch with variables and params", newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			s.Variables = []admissionregistrationv1.Variable{{Name: "value", Expression: "params.data.value"}}
			s.Mutations = []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: `[JSONPatch{op: "add", path: "/metadata/annotations/x", value: variables.value}]`},
			}}
			s.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
		}), nil},
		{"no mutations, no reinvocation policy", newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.Mutations, s.ReinvocationPolicy = nil, ""
		}), []string{
			"spec.mutations: Required value: mutations must contain at least one item",
			"spec.reinvocationPolicy: Required value",
		}},
		{"delete, unknown reinvocation", newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.MatchConstraints.ResourceRules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
			s.ReinvocationPolicy = "Always"
		}), []string{
			`spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
			`spec.reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"`,
		}},
		{"mutations", newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.Mutations = []admissionregistrationv1.Mutation{
				{},
				{PatchType: admissionregistrationv1.PatchTypeJSONPatch, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: labelling}},
				{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: " "}, JSONPatch: &admissionregistrationv1.JSONPatch{}},
				{PatchType: "Merge"},
				{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: `"labels"`}},
				{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{Expression: `JSONPatch{op: "remove", path: "/x"}`}},
			}
		}), []string{
			"spec.mutations[0].patchType: Required value",
			"spec.mutations[1].jsonPatch: Required value: must be specified when patchType is JSONPatch",
			`spec.mutations[1].applyConfiguration: Invalid value: "{applyConfiguration}": must not be specified when patchType is JSONPatch`,
			"spec.mutations[2].applyConfiguration.expression: Required value",
			`spec.mutations[2].jsonPatch: Invalid value: "{jsonPatch}": must not be specified when patchType is ApplyConfiguration`,
			`spec.mutations[3].patchType: Unsupported value: "Merge": supported values: "ApplyConfiguration", "JSONPatch"`,
			`spec.mutations[4].applyConfiguration.expression: Invalid value: "\"labels\"": must evaluate to Object but got string`,
			`spec.mutations[5].jsonPatch.expression: Invalid value: "JSONPatch{op: \"remove\", path: \"/x\"}": must evaluate to list(JSONPatch) but got JSONPatch`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.policy, admissionregistration.PolicyOptions{}), tc.want)
		})
	}
}

// TestValidateUpdate: unchanged match conditions are not compiled again.
func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	old := newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
		s.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: `"not a bool"`}}
	})
	changed := old.DeepCopy()
	changed.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	checkErrors(t, validateUpdate(changed, old), nil)
	checkErrors(t, validate(changed, admissionregistration.PolicyOptions{}),
		[]string{`spec.matchConditions[0].expression: Invalid value: "\"not a bool\"": must evaluate to bool but got string`})
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
