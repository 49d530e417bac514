package mutatingadmissionpolicybinding

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	withOperations := func(ops ...admissionregistrationv1.OperationType) *binding {
		b := &binding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: "add-labels",
			MatchResources: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: ops,
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				},
			}}},
		}}
		setDefaults(b)
		return b
	}
	for _, tc := range []struct {
		name    string
		binding *binding
		want    []string
	}{
		{"create", withOperations(admissionregistrationv1.Create), nil},
		{"no match resources", &binding{Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "add-labels"}}, nil},
		{"delete", withOperations(admissionregistrationv1.Create, admissionregistrationv1.Delete), []string{
			`spec.matchResources.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
		}},
		{"bad param ref", func() *binding {
			b := withOperations(admissionregistrationv1.Update)
			b.Spec.ParamRef = &admissionregistrationv1.ParamRef{Name: "cfg"}
			return b
		}(), []string{"spec.paramRef.parameterNotFoundAction: Required value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := validate(tc.binding)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, err := range errs {
				if err.Error() != tc.want[i] {
					t.Errorf("error %d = %q, want %q", i, err.Error(), tc.want[i])
				}
			}
		})
	}
}
