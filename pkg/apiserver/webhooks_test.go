package apiserver_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// webhookServer is an admission webhook on loopback TLS, as a test or a
// controller-runtime manager runs one: /mutate labels what it is sent
// mutated=yes; /validate denies objects labelled deny=yes.
func webhookServer(t *testing.T) (url string, caPEM []byte) {
	t.Helper()
	review := func(w http.ResponseWriter, r *http.Request, answer func(obj map[string]any, resp *admissionv1.AdmissionResponse)) {
		var in admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(in.Request.Object.Raw, &obj); err != nil {
			http.Error(w, "bad object", http.StatusBadRequest)
			return
		}
		resp := &admissionv1.AdmissionResponse{UID: in.Request.UID, Allowed: true}
		answer(obj, resp)
		out := admissionv1.AdmissionReview{TypeMeta: in.TypeMeta, Response: resp}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", func(w http.ResponseWriter, r *http.Request) {
		review(w, r, func(obj map[string]any, resp *admissionv1.AdmissionResponse) {
			patch := `[{"op":"add","path":"/metadata/labels","value":{}},{"op":"add","path":"/metadata/labels/mutated","value":"yes"}]`
			if meta, _ := obj["metadata"].(map[string]any); meta["labels"] != nil {
				patch = `[{"op":"add","path":"/metadata/labels/mutated","value":"yes"}]`
			}
			resp.Patch, resp.PatchType = []byte(patch), ptr.To(admissionv1.PatchTypeJSONPatch)
		})
	})
	mux.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) {
		review(w, r, func(obj map[string]any, resp *admissionv1.AdmissionResponse) {
			meta, _ := obj["metadata"].(map[string]any)
			labels, _ := meta["labels"].(map[string]any)
			if labels["deny"] == "yes" {
				resp.Allowed = false
				resp.Result = &metav1.Status{Code: http.StatusForbidden, Message: "labelled deny=yes"}
			}
		})
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// webhookFor is a webhook of ConfigMaps in namespaces labelled
// webhooks=on, called at url.
func webhookFor(url string, caPEM []byte, policy admissionregistrationv1.FailurePolicyType) (admissionregistrationv1.WebhookClientConfig, []admissionregistrationv1.RuleWithOperations, *metav1.LabelSelector, *admissionregistrationv1.FailurePolicyType, *admissionregistrationv1.SideEffectClass) {
	return admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
		[]admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		}},
		&metav1.LabelSelector{MatchLabels: map[string]string{"webhooks": "on"}},
		&policy, ptr.To(admissionregistrationv1.SideEffectClassNone)
}

// TestAdmissionWebhooks runs a mutating and a validating webhook served by
// the test on loopback TLS, and one that cannot be reached, with each
// failurePolicy.
func TestAdmissionWebhooks(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	ctx := t.Context()
	url, caPEM := webhookServer(t)
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "hooked", Labels: map[string]string{"webhooks": "on"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mcc, rules, nsSel, fail, none := webhookFor(url+"/mutate", caPEM, admissionregistrationv1.Fail)
	if _, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "label"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "label.example.com", ClientConfig: mcc, Rules: rules,
			NamespaceSelector: nsSel, FailurePolicy: fail, SideEffects: none, AdmissionReviewVersions: []string{"v1"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	vcc, rules, nsSel, fail, none := webhookFor(url+"/validate", caPEM, admissionregistrationv1.Fail)
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "deny"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "deny.example.com", ClientConfig: vcc, Rules: rules,
			NamespaceSelector: nsSel, FailurePolicy: fail, SideEffects: none, AdmissionReviewVersions: []string{"v1"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The mutation shows once the plugin's informer has the configuration.
	clustertest.Poll(t, 10*time.Second, func() error {
		cm, err := client.CoreV1().ConfigMaps("hooked").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if cm.Labels["mutated"] != "yes" {
			return fmt.Errorf("labels %v, want mutated=yes", cm.Labels)
		}
		return nil
	})
	// Outside the selected namespaces nothing is called.
	cm, err := client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}, metav1.CreateOptions{})
	if err != nil || cm.Labels["mutated"] != "" {
		t.Errorf("create in default = %v, labels %v; want no webhook", err, cm.Labels)
	}
	denied := func(client kubernetes.Interface) error {
		_, err := client.CoreV1().ConfigMaps("hooked").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: "denied", Labels: map[string]string{"deny": "yes"}}}, metav1.CreateOptions{})
		return err
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		return wantError(denied(client), 403, `admission webhook "deny.example.com" denied the request: labelled deny=yes`)
	})

	// A webhook nobody answers: Ignore lets the request through, Fail
	// refuses it with kube-apiserver's text.
	gone := "https://127.0.0.1:1/gone"
	for _, policy := range []admissionregistrationv1.FailurePolicyType{admissionregistrationv1.Ignore, admissionregistrationv1.Fail} {
		cc, rules, nsSel, fp, none := webhookFor(gone, caPEM, policy)
		cc.URL = &gone
		if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "gone-" + strings.ToLower(string(policy))},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "gone.example.com", ClientConfig: cc, Rules: rules,
				NamespaceSelector: nsSel, FailurePolicy: fp, SideEffects: none, AdmissionReviewVersions: []string{"v1"},
				TimeoutSeconds: ptr.To[int32](2)}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := client.CoreV1().ConfigMaps("hooked").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "gone-"}}, metav1.CreateOptions{})
		const want = `Internal error occurred: failed calling webhook "gone.example.com": failed to call webhook: Post "https://127.0.0.1:1/gone?timeout=2s": dial tcp 127.0.0.1:1: connect: connection refused`
		return wantError(err, 500, want)
	})
}

// TestAdmissionPolicies runs a ValidatingAdmissionPolicy whose CEL rule
// refuses ConfigMaps with more than two keys, and a MutatingAdmissionPolicy
// that labels them, each bound to the namespaces labelled policies=on.
func TestAdmissionPolicies(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	ctx := t.Context()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "governed", Labels: map[string]string{"policies": "on"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	configMaps := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		},
	}}}
	governed := &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"policies": "on"}}}
	vap := client.AdmissionregistrationV1()
	if _, err := vap.ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "small"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: configMaps,
			Validations:      []admissionregistrationv1.Validation{{Expression: "!has(object.data) || object.data.size() <= 2"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := vap.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "small-governed"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "small", MatchResources: governed,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := vap.MutatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "label"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints:   configMaps,
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
					Expression: `Object{metadata: Object.metadata{labels: {"governed": "yes"}}}`,
				},
			}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := vap.MutatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "label-governed"},
		Spec:       admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "label", MatchResources: governed},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	big := func(ns string) error {
		_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "big"},
			Data: map[string]string{"a": "1", "b": "2", "c": "3"}}, metav1.CreateOptions{})
		return err
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		return wantError(big("governed"), 422, `configmaps "big" is forbidden: ValidatingAdmissionPolicy 'small' with binding 'small-governed' denied request: failed expression: !has(object.data) || object.data.size() <= 2`)
	})
	if err := big("default"); err != nil {
		t.Errorf("a big ConfigMap outside the bound namespaces: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		cm, err := client.CoreV1().ConfigMaps("governed").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "small-"}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		if cm.Labels["governed"] != "yes" {
			return fmt.Errorf("labels %v, want governed=yes", cm.Labels)
		}
		return nil
	})
}
