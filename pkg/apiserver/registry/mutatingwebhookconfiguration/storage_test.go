package mutatingwebhookconfiguration_test

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a MutatingWebhookConfiguration through a real API
// server: its webhook is defaulted (reinvocationPolicy Never among the
// rest), and two webhooks of one name are a 422 naming the second.
func TestServed(t *testing.T) {
	t.Parallel()
	configs := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AdmissionregistrationV1().MutatingWebhookConfigurations()
	ctx := t.Context()
	webhook := admissionregistrationv1.MutatingWebhook{
		Name:                    "pods.sidecar.example.com",
		ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://sidecar.example.com/mutate")},
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
		AdmissionReviewVersions: []string{"v1", "v1beta1"},
	}
	in := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar-injector"},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{webhook},
	}
	got, err := configs.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := got.Webhooks[0]
	if h.ReinvocationPolicy == nil || *h.ReinvocationPolicy != admissionregistrationv1.NeverReinvocationPolicy ||
		h.MatchPolicy == nil || *h.MatchPolicy != admissionregistrationv1.Equivalent || h.NamespaceSelector == nil || h.ObjectSelector == nil {
		t.Errorf("webhook not defaulted: %+v", h)
	}

	twice := in.DeepCopy()
	twice.Name = "twice"
	twice.Webhooks = append(twice.Webhooks, webhook)
	_, err = configs.Create(ctx, twice, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "webhooks[1].name" {
		t.Errorf("create with a duplicate webhook: %v, want 422 on webhooks[1].name", err)
	}
}
