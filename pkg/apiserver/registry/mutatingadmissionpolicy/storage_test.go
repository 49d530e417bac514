package mutatingadmissionpolicy_test

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a MutatingAdmissionPolicy through a real API server:
// defaulted, its generation counting spec changes, and a mutation whose
// expression has the wrong type is a 422 naming it.
func TestServed(t *testing.T) {
	t.Parallel()
	policies := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AdmissionregistrationV1().MutatingAdmissionPolicies()
	ctx := t.Context()
	in := &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "add-labels"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
				},
			}}},
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType:          admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: `Object{metadata: Object.metadata{labels: {"managed": "true"}}}`},
			}},
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		},
	}
	got, err := policies.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Spec.FailurePolicy; f == nil || *f != admissionregistrationv1.Fail || got.Generation != 1 {
		t.Errorf("failurePolicy %v, generation %d; want Fail and 1", f, got.Generation)
	}
	got.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	if got, err = policies.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	} else if got.Generation != 2 {
		t.Errorf("generation after a spec change = %d, want 2", got.Generation)
	}

	bad := in.DeepCopy()
	bad.Name = "bad"
	bad.Spec.Mutations[0].ApplyConfiguration.Expression = `"labels"`
	_, err = policies.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.mutations[0].applyConfiguration.expression" {
		t.Errorf("create with a string for an apply configuration: %v, want 422 on spec.mutations[0].applyConfiguration.expression", err)
	}
}
