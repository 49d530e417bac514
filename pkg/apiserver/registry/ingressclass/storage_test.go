package ingressclass_test

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates an IngressClass through a real API server: its
// parameters' scope is defaulted, a bad controller is a 422 naming the
// field, and the controller cannot change.
func TestServed(t *testing.T) {
	t.Parallel()
	classes := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).NetworkingV1().IngressClasses()
	ctx := t.Context()
	in := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: networkingv1.IngressClassSpec{
			Controller: "k8s.io/ingress-nginx",
			Parameters: &networkingv1.IngressClassParametersReference{Kind: "Config", Name: "cfg"},
		},
	}
	got, err := classes.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Spec.Parameters.Scope; s == nil || *s != networkingv1.IngressClassParametersReferenceScopeCluster {
		t.Errorf("parameters.scope = %v, want Cluster", s)
	}

	bad := in.DeepCopy()
	bad.Name, bad.Spec.Controller = "bad", "nginx"
	_, err = classes.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "spec.controller" {
		t.Errorf("create with controller %q: %v, want 422 on spec.controller", bad.Spec.Controller, err)
	}

	got.Spec.Controller = "example.com/other"
	if _, err := classes.Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("update of spec.controller: %v, want 422 (immutable)", err)
	}
}
