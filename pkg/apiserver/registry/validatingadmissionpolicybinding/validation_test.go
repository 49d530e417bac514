package validatingadmissionpolicybinding

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	withActions := func(actions ...admissionregistrationv1.ValidationAction) *binding {
		return &binding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "replica-limit", ValidationActions: actions,
		}}
	}
	for _, tc := range []struct {
		name    string
		binding *binding
		want    []string
	}{
		{"deny", withActions(admissionregistrationv1.Deny), nil},
		{"warn and audit", withActions(admissionregistrationv1.Warn, admissionregistrationv1.Audit), nil},
		{"none", withActions(), []string{"spec.validationActions: Required value: at least one validation action is required"}},
		{"unknown, twice", withActions("Log", admissionregistrationv1.Audit, admissionregistrationv1.Audit), []string{
			`spec.validationActions[0]: Unsupported value: "Log": supported values: "Audit", "Deny", "Warn"`,
			`spec.validationActions[2]: Duplicate value: "Audit"`,
		}},
		{"deny and warn", withActions(admissionregistrationv1.Deny, admissionregistrationv1.Warn), []string{
			`spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)`,
		}},
		{"no policy", &binding{Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}},
			[]string{"spec.policyName: Required value"}},
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
