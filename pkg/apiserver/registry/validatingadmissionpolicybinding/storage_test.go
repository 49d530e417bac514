package validatingadmissionpolicybinding_test

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a ValidatingAdmissionPolicyBinding through a real API
// server: its match resources are defaulted, a spec change counts in the
// generation, and a binding that would both deny and warn is a 422.
func TestServed(t *testing.T) {
	t.Parallel()
	bindings := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	ctx := t.Context()
	in := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas-prod"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "replicas",
			MatchResources:    &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	got, err := bindings.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Spec.MatchResources; m.MatchPolicy == nil || *m.MatchPolicy != admissionregistrationv1.Equivalent || m.ObjectSelector == nil {
		t.Errorf("matchResources not defaulted: %+v", m)
	}
	got.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit}
	if got, err = bindings.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	} else if got.Generation != 2 {
		t.Errorf("generation after a spec change = %d, want 2", got.Generation)
	}

	bad := in.DeepCopy()
	bad.Name = "bad"
	bad.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Warn}
	_, err = bindings.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.validationActions" {
		t.Errorf("create that denies and warns: %v, want 422 on spec.validationActions", err)
	}
}
