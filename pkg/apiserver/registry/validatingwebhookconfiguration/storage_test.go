package validatingwebhookconfiguration_test

import (
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a ValidatingWebhookConfiguration through a real API
// server: its webhook is defaulted, a change of the webhooks counts in
// the generation, and a webhook reached by no URL or Service is a 422
// naming the field.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	configs := client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	ctx := t.Context()
	in := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy-agent"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "pods.policy.example.com",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "policy", Name: "agent"}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	got, err := configs.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := got.Webhooks[0]
	if h.FailurePolicy == nil || *h.FailurePolicy != admissionregistrationv1.Fail || h.TimeoutSeconds == nil || *h.TimeoutSeconds != 10 ||
		h.ClientConfig.Service.Port == nil || *h.ClientConfig.Service.Port != 443 || h.Rules[0].Scope == nil {
		t.Errorf("webhook not defaulted: %+v", h)
	}
	if got.Generation != 1 {
		t.Errorf("generation = %d, want 1", got.Generation)
	}

	got.Webhooks[0].TimeoutSeconds = ptr.To[int32](5)
	if got, err = configs.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	} else if got.Generation != 2 {
		t.Errorf("generation after a webhook change = %d, want 2", got.Generation)
	}

	bad := in.DeepCopy()
	bad.Name = "bad"
	bad.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{}
	_, err = configs.Create(ctx, bad, metav1.CreateOptions{})
	if status, ok := err.(apierrors.APIStatus); !apierrors.IsInvalid(err) || !ok || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Field != "webhooks[0].clientConfig" {
		t.Errorf("create without a client config: %v, want 422 on webhooks[0].clientConfig", err)
	}
}

// TestDiscovery: the group serves its six resources as kube-apiserver
// does, cluster-scoped, in category api-extensions, with a status
// subresource for validating admission policies only.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	list, err := client.Discovery().ServerResourcesForGroupVersion(admissionregistrationv1.SchemeGroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list.APIResources {
		names = append(names, r.Name)
		if strings.Contains(r.Name, "/") {
			continue
		}
		if r.Namespaced || !slices.Equal(r.Categories, []string{"api-extensions"}) || len(r.ShortNames) != 0 {
			t.Errorf("%s: namespaced %t, categories %q, short names %q; want cluster-scoped, api-extensions, none", r.Name, r.Namespaced, r.Categories, r.ShortNames)
		}
	}
	slices.Sort(names)
	want := []string{
		"mutatingadmissionpolicies", "mutatingadmissionpolicybindings", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicies/status", "validatingadmissionpolicybindings", "validatingwebhookconfigurations",
	}
	if !slices.Equal(names, want) {
		t.Errorf("resources = %q, want %q", names, want)
	}
}
