package mutatingadmissionpolicybinding_test

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a MutatingAdmissionPolicyBinding through a real API
// server, and refuses one that matches deletes, which nothing can mutate.
func TestServed(t *testing.T) {
	t.Parallel()
	bindings := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AdmissionregistrationV1().MutatingAdmissionPolicyBindings()
	ctx := t.Context()
	in := &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "add-labels"},
		Spec:       admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "add-labels"},
	}
	got, err := bindings.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Generation != 1 {
		t.Errorf("generation = %d, want 1", got.Generation)
	}

	bad := in.DeepCopy()
	bad.Name = "deletes"
	bad.Spec.MatchResources = &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
		},
	}}}
	_, err = bindings.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.matchResources.resourceRules.operations" {
		t.Errorf("create matching deletes: %v, want 422 on spec.matchResources.resourceRules.operations", err)
	}
}
