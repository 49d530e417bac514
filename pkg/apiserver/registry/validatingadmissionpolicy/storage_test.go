package validatingadmissionpolicy_test

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a ValidatingAdmissionPolicy through a real API
// server: defaulted, generation 1 and a cleared status; a spec change
// counts in the generation and keeps the status; the status subresource
// checks its warnings; an expression that does not compile is a 422
// naming it.
func TestServed(t *testing.T) {
	t.Parallel()
	policies := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AdmissionregistrationV1().ValidatingAdmissionPolicies()
	ctx := t.Context()
	in := &admissionregistrationv1.ValidatingAdmissionPolicy{
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
		Status: admissionregistrationv1.ValidatingAdmissionPolicyStatus{ObservedGeneration: 7},
	}
	got, err := policies.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Spec.FailurePolicy; f == nil || *f != admissionregistrationv1.Fail || got.Spec.MatchConstraints.MatchPolicy == nil {
		t.Errorf("spec not defaulted: %+v", got.Spec)
	}
	if got.Generation != 1 || got.Status.ObservedGeneration != 0 {
		t.Errorf("generation %d, observedGeneration %d; want 1 and a cleared status", got.Generation, got.Status.ObservedGeneration)
	}

	got.Status = admissionregistrationv1.ValidatingAdmissionPolicyStatus{ObservedGeneration: 1, TypeChecking: &admissionregistrationv1.TypeChecking{}}
	if got, err = policies.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got.Spec.Validations[0].Expression = "object.spec.replicas <= 3"
	if got, err = policies.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got.Generation != 2 || got.Status.ObservedGeneration != 1 {
		t.Errorf("after a spec change: generation %d, observedGeneration %d; want 2 and the stored 1", got.Generation, got.Status.ObservedGeneration)
	}

	got.Status.TypeChecking = &admissionregistrationv1.TypeChecking{ExpressionWarnings: []admissionregistrationv1.ExpressionWarning{{FieldRef: "spec.validations[0].expression"}}}
	_, err = policies.UpdateStatus(ctx, got, metav1.UpdateOptions{})
	checkInvalid(t, "status without a warning text", err, "status.typeChecking.expressionWarnings[0].warning")

	bad := in.DeepCopy()
	bad.Name = "bad"
	bad.Spec.Validations[0].Expression = "object.spec.replicas +"
	_, err = policies.Create(ctx, bad, metav1.CreateOptions{})
	checkInvalid(t, "create with an expression that does not compile", err, "spec.validations[0].expression")
}

// checkInvalid fails unless err is a 422 with one cause, at fld.
func checkInvalid(t *testing.T, what string, err error, fld string) {
	t.Helper()
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != fld {
		t.Errorf("%s: %v, want 422 on %s", what, err, fld)
	}
}
