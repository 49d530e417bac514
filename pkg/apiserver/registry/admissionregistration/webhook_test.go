package admissionregistration

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// hook is a valid, defaulted validating webhook named name, changed by edit.
func hook(name string, edit func(*admissionregistrationv1.ValidatingWebhook)) admissionregistrationv1.ValidatingWebhook {
	h := admissionregistrationv1.ValidatingWebhook{
		Name:         name,
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "ns", Name: "svc"}},
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
		}},
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
	}
	if edit != nil {
		edit(&h)
	}
	hooks := []admissionregistrationv1.ValidatingWebhook{h}
	DefaultWebhooks(ValidatingWebhooks(hooks))
	return hooks[0]
}

func TestDefaultWebhooks(t *testing.T) {
	t.Parallel()
	validating := []admissionregistrationv1.ValidatingWebhook{{
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{}},
		Rules:        []admissionregistrationv1.RuleWithOperations{{}},
	}}
	DefaultWebhooks(ValidatingWebhooks(validating))
	scope := admissionregistrationv1.AllScopes
	want := admissionregistrationv1.ValidatingWebhook{
		ClientConfig:      admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Port: ptr.To[int32](443)}},
		Rules:             []admissionregistrationv1.RuleWithOperations{{Rule: admissionregistrationv1.Rule{Scope: &scope}}},
		FailurePolicy:     ptr.To(admissionregistrationv1.Fail),
		MatchPolicy:       ptr.To(admissionregistrationv1.Equivalent),
		NamespaceSelector: &metav1.LabelSelector{},
		ObjectSelector:    &metav1.LabelSelector{},
		TimeoutSeconds:    ptr.To[int32](10),
	}
	if diff := cmp.Diff(want, validating[0]); diff != "" {
		t.Errorf("defaulted validating webhook (-want +got):\n%s", diff)
	}

	mutating := []admissionregistrationv1.MutatingWebhook{{}, {ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy)}}
	DefaultWebhooks(MutatingWebhooks(mutating))
	if p := mutating[0].ReinvocationPolicy; p == nil || *p != admissionregistrationv1.NeverReinvocationPolicy {
		t.Errorf("reinvocationPolicy = %v, want Never", p)
	}
	if p := *mutating[1].ReinvocationPolicy; p != admissionregistrationv1.IfNeededReinvocationPolicy {
		t.Errorf("set reinvocationPolicy changed to %s", p)
	}
	if mutating[0].SideEffects != nil || mutating[0].AdmissionReviewVersions != nil {
		t.Errorf("sideEffects %v and admissionReviewVersions %v defaulted; v1 requires them", mutating[0].SideEffects, mutating[0].AdmissionReviewVersions)
	}
}

func TestValidateWebhooks(t *testing.T) {
	t.Parallel()
	rule := func(edit func(*admissionregistrationv1.RuleWithOperations)) func(*admissionregistrationv1.ValidatingWebhook) {
		return func(h *admissionregistrationv1.ValidatingWebhook) { edit(&h.Rules[0]) }
	}
	for _, tc := range []struct {
		name  string
		hooks []admissionregistrationv1.ValidatingWebhook
		want  []string
	}{
		{"valid", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", nil), hook("b.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://hook.example.com/validate")}
			h.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "not-kube-system", Expression: `object.metadata.namespace != "kube-system"`}}
		})}, nil},
		{"name not qualified, duplicate", []admissionregistrationv1.ValidatingWebhook{hook("hook", nil), hook("a.example.com", nil), hook("a.example.com", nil)}, []string{
			`webhooks[0].name: Invalid value: "hook": should be a domain with at least three segments separated by dots`,
			`webhooks[2].name: Duplicate value: "a.example.com"`,
		}},
		{"no client config", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig = admissionregistrationv1.WebhookClientConfig{}
		})}, []string{"webhooks[0].clientConfig: Required value: exactly one of url or service is required"}},
		{"url and service", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig.URL = ptr.To("https://example.com")
		})}, []string{"webhooks[0].clientConfig: Required value: exactly one of url or service is required"}},
		{"http url with a query", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To("http://example.com/x?a=b")}
		})}, []string{
			`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
			`webhooks[0].clientConfig.url: Invalid value: "a=b": query parameters are not permitted in the URL`,
		}},
		// Upstream swaps name and namespace in this check.
		{"service without name, bad path", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig.Service.Name, h.ClientConfig.Service.Path = "", ptr.To("validate")
		})}, []string{
			"webhooks[0].clientConfig.service.namespace: Required value",
			`webhooks[0].clientConfig.service.path: Invalid value: "validate": must start with a '/'`,
		}},
		{"side effects missing", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) { h.SideEffects = nil })},
			[]string{"webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"}},
		{"side effects some", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.SideEffects = ptr.To(admissionregistrationv1.SideEffectClassSome)
		})}, []string{`webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`}},
		{"timeout, policies", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.TimeoutSeconds = ptr.To[int32](31)
			h.FailurePolicy = ptr.To(admissionregistrationv1.FailurePolicyType("Maybe"))
			h.MatchPolicy = ptr.To(admissionregistrationv1.MatchPolicyType("Close"))
		})}, []string{
			`webhooks[0].failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"`,
			`webhooks[0].matchPolicy: Unsupported value: "Close": supported values: "Equivalent", "Exact"`,
			"webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
		}},
		{"review versions", []admissionregistrationv1.ValidatingWebhook{
			hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) { h.AdmissionReviewVersions = nil }),
			hook("b.example.com", func(h *admissionregistrationv1.ValidatingWebhook) { h.AdmissionReviewVersions = []string{"v2", "v2"} }),
		}, []string{
			"webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1",
			`webhooks[1].admissionReviewVersions[1]: Invalid value: "v2": duplicate version`,
			`webhooks[1].admissionReviewVersions: Invalid value: ["v2","v2"]: must include at least one of v1, v1beta1`,
		}},
		{"operations", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", rule(func(r *admissionregistrationv1.RuleWithOperations) {
			r.Operations = []admissionregistrationv1.OperationType{"*", "PATCH"}
		}))}, []string{
			`webhooks[0].rules[0].operations: Invalid value: ["*","PATCH"]: if '*' is present, must not specify other operations`,
			`webhooks[0].rules[0].operations[1]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"`,
		}},
		{"rule without groups, versions, resources", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", rule(func(r *admissionregistrationv1.RuleWithOperations) {
			r.Rule = admissionregistrationv1.Rule{Scope: ptr.To(admissionregistrationv1.ScopeType("Global"))}
		}))}, []string{
			"webhooks[0].rules[0].apiGroups: Required value",
			"webhooks[0].rules[0].apiVersions: Required value",
			"webhooks[0].rules[0].resources: Required value",
			`webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"`,
		}},
		{"wildcards beside others", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", rule(func(r *admissionregistrationv1.RuleWithOperations) {
			r.APIGroups, r.APIVersions = []string{"*", "apps"}, []string{"*", ""}
			r.Resources = []string{"pods/*", "pods/log", "*/status", "services/status", "*/*"}
		}))}, []string{
			`webhooks[0].rules[0].apiGroups: Invalid value: ["*","apps"]: if '*' is present, must not specify other API groups`,
			`webhooks[0].rules[0].apiVersions: Invalid value: ["*",""]: if '*' is present, must not specify other API versions`,
			"webhooks[0].rules[0].apiVersions[1]: Required value",
			`webhooks[0].rules[0].resources[1]: Invalid value: "pods/log": if 'pods/*' is present, must not specify pods/log`,
			`webhooks[0].rules[0].resources[3]: Invalid value: "services/status": if '*/status' is present, must not specify services/status`,
			`webhooks[0].rules[0].resources: Invalid value: ["pods/*","pods/log","*/status","services/status","*/*"]: if '*/*' is present, must not specify other resources`,
		}},
		{"single wildcard beside a resource", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", rule(func(r *admissionregistrationv1.RuleWithOperations) {
			r.Resources = []string{"*", "pods"}
		}))}, []string{`webhooks[0].rules[0].resources: Invalid value: ["*","pods"]: if '*' is present, must not specify other resources without subresources`}},
		{"selector", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b c"}}
		})}, []string{`webhooks[0].objectSelector.matchLabels: Invalid value: "b c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`}},
		{"match conditions", []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.MatchConditions = []admissionregistrationv1.MatchCondition{
				{Name: "string", Expression: `"yes"`},
				{Name: "params", Expression: `params.x == 1`},
				{Name: "string", Expression: " "},
				{Name: "bad name!", Expression: "true"},
			}
		})}, []string{
			`webhooks[0].matchConditions[0].expression: Invalid value: "\"yes\"": must evaluate to bool but got string`,
			"webhooks[0].matchConditions[1].expression: Invalid value: \"params.x == 1\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x == 1\n | ^",
			"webhooks[0].matchConditions[2].expression: Required value",
			`webhooks[0].matchConditions[2].name: Duplicate value: "string"`,
			`webhooks[0].matchConditions[3].name: Invalid value: "bad name!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, ValidateWebhooks(ValidatingWebhooks(tc.hooks), CreateOptions()), tc.want)
		})
	}
}

// TestMutatingWebhookReinvocationPolicy: mutating webhooks are checked by
// the same code, with their reinvocation policy.
func TestMutatingWebhookReinvocationPolicy(t *testing.T) {
	t.Parallel()
	v := hook("a.example.com", nil)
	hooks := []admissionregistrationv1.MutatingWebhook{{
		Name: v.Name, ClientConfig: v.ClientConfig, Rules: v.Rules, SideEffects: v.SideEffects,
		AdmissionReviewVersions: v.AdmissionReviewVersions, ReinvocationPolicy: ptr.To(admissionregistrationv1.ReinvocationPolicyType("Always")),
	}}
	DefaultWebhooks(MutatingWebhooks(hooks))
	checkErrors(t, ValidateWebhooks(MutatingWebhooks(hooks), CreateOptions()),
		[]string{`webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"`})
}

// TestWebhookUpdateKeepsWhatWasStored: an update may keep what a stored
// configuration already had (side effects, unknown review versions,
// duplicate names, a match condition that no longer compiles), not add it.
func TestWebhookUpdateKeepsWhatWasStored(t *testing.T) {
	t.Parallel()
	some := func(h *admissionregistrationv1.ValidatingWebhook) {
		h.SideEffects = ptr.To(admissionregistrationv1.SideEffectClassSome)
		h.AdmissionReviewVersions = []string{"v0"}
		h.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: "1"}}
	}
	old := []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", some), hook("a.example.com", nil)}
	updated := []admissionregistrationv1.ValidatingWebhook{hook("a.example.com", some), hook("a.example.com", func(h *admissionregistrationv1.ValidatingWebhook) {
		h.TimeoutSeconds = ptr.To[int32](5)
	})}
	hooks, oldHooks := ValidatingWebhooks(updated), ValidatingWebhooks(old)
	checkErrors(t, ValidateWebhooks(hooks, UpdateOptions(hooks, oldHooks)), nil)

	fresh := ValidatingWebhooks([]admissionregistrationv1.ValidatingWebhook{hook("a.example.com", nil)})
	checkErrors(t, ValidateWebhooks(hooks, UpdateOptions(hooks, fresh)), []string{
		`webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`,
		`webhooks[0].matchConditions[0].expression: Invalid value: "1": must evaluate to bool but got int`,
		`webhooks[0].admissionReviewVersions: Invalid value: ["v0"]: must include at least one of v1, v1beta1`,
		`webhooks[1].name: Duplicate value: "a.example.com"`,
	})
}

// checkErrors fails unless errs are exactly want, as "path: text".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	got := make([]string, len(errs))
	for i, err := range errs {
		got[i] = err.Error()
	}
	if len(want) == 0 {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
