package admissionregistration

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/webhook"
)

// Webhook is what a ValidatingWebhook and a MutatingWebhook have in
// common, as pointers into one of them, so that both are defaulted and
// checked by the same code. ReinvocationPolicy is nil for a validating
// webhook, which has none.
type Webhook struct {
	Name                    string
	ClientConfig            *admissionregistrationv1.WebhookClientConfig
	Rules                   []admissionregistrationv1.RuleWithOperations
	FailurePolicy           **admissionregistrationv1.FailurePolicyType
	MatchPolicy             **admissionregistrationv1.MatchPolicyType
	NamespaceSelector       **metav1.LabelSelector
	ObjectSelector          **metav1.LabelSelector
	SideEffects             *admissionregistrationv1.SideEffectClass
	TimeoutSeconds          **int32
	AdmissionReviewVersions []string
	ReinvocationPolicy      **admissionregistrationv1.ReinvocationPolicyType
	MatchConditions         []admissionregistrationv1.MatchCondition
}

// ValidatingWebhooks returns the webhooks of a validating configuration.
func ValidatingWebhooks(hooks []admissionregistrationv1.ValidatingWebhook) []Webhook {
	out := make([]Webhook, len(hooks))
	for i := range hooks {
		h := &hooks[i]
		out[i] = Webhook{
			Name: h.Name, ClientConfig: &h.ClientConfig, Rules: h.Rules,
			FailurePolicy: &h.FailurePolicy, MatchPolicy: &h.MatchPolicy,
			NamespaceSelector: &h.NamespaceSelector, ObjectSelector: &h.ObjectSelector,
			SideEffects: h.SideEffects, TimeoutSeconds: &h.TimeoutSeconds,
			AdmissionReviewVersions: h.AdmissionReviewVersions, MatchConditions: h.MatchConditions,
		}
	}
	return out
}

// MutatingWebhooks returns the webhooks of a mutating configuration.
func MutatingWebhooks(hooks []admissionregistrationv1.MutatingWebhook) []Webhook {
	out := make([]Webhook, len(hooks))
	for i := range hooks {
		h := &hooks[i]
		out[i] = Webhook{
			Name: h.Name, ClientConfig: &h.ClientConfig, Rules: h.Rules,
			FailurePolicy: &h.FailurePolicy, MatchPolicy: &h.MatchPolicy,
			NamespaceSelector: &h.NamespaceSelector, ObjectSelector: &h.ObjectSelector,
			SideEffects: h.SideEffects, TimeoutSeconds: &h.TimeoutSeconds,
			AdmissionReviewVersions: h.AdmissionReviewVersions, ReinvocationPolicy: &h.ReinvocationPolicy,
			MatchConditions: h.MatchConditions,
		}
	}
	return out
}

// DefaultWebhooks is admissionregistration/v1's defaulting of webhooks:
// failurePolicy Fail, matchPolicy Equivalent, selectors that match
// everything, a 10 second timeout, reinvocationPolicy Never, rules of
// every scope, and port 443 of a service. sideEffects and
// admissionReviewVersions, which v1beta1 defaulted, are required in v1.
func DefaultWebhooks(hooks []Webhook) {
	for _, h := range hooks {
		if *h.FailurePolicy == nil {
			p := admissionregistrationv1.Fail
			*h.FailurePolicy = &p
		}
		if *h.MatchPolicy == nil {
			p := admissionregistrationv1.Equivalent
			*h.MatchPolicy = &p
		}
		if *h.NamespaceSelector == nil {
			*h.NamespaceSelector = &metav1.LabelSelector{}
		}
		if *h.ObjectSelector == nil {
			*h.ObjectSelector = &metav1.LabelSelector{}
		}
		if *h.TimeoutSeconds == nil {
			t := int32(10)
			*h.TimeoutSeconds = &t
		}
		if h.ReinvocationPolicy != nil && *h.ReinvocationPolicy == nil {
			p := admissionregistrationv1.NeverReinvocationPolicy
			*h.ReinvocationPolicy = &p
		}
		for i := range h.Rules {
			defaultRule(&h.Rules[i].Rule)
		}
		if s := h.ClientConfig.Service; s != nil && s.Port == nil {
			port := int32(443)
			s.Port = &port
		}
	}
}

// The side effect classes a webhook may declare: all of them are known,
// but new webhooks must have none (or none on dry run).
var (
	sideEffectClasses = []admissionregistrationv1.SideEffectClass{
		admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.SideEffectClassNoneOnDryRun,
		admissionregistrationv1.SideEffectClassSome, admissionregistrationv1.SideEffectClassUnknown,
	}
	noSideEffectClasses = []admissionregistrationv1.SideEffectClass{
		admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.SideEffectClassNoneOnDryRun,
	}
)

// admissionReviewVersions are the AdmissionReview versions a webhook must
// accept one of: those the previous kube-apiserver release understands.
var admissionReviewVersions = []string{"v1", "v1beta1"}

// WebhookOptions are the rules that are stricter for new configurations
// than for stored ones, which keep passing the checks they passed.
type WebhookOptions struct {
	// IgnoreMatchConditions skips the match conditions, which an update
	// leaves unchanged.
	IgnoreMatchConditions                   bool
	RequireNoSideEffects                    bool
	RequireRecognizedAdmissionReviewVersion bool
	RequireUniqueNames                      bool
	AllowInvalidLabelValueInSelector        bool
	Stored                                  Stored
}

// CreateOptions are the options of a new configuration: every rule.
func CreateOptions() WebhookOptions {
	return WebhookOptions{RequireNoSideEffects: true, RequireRecognizedAdmissionReviewVersion: true, RequireUniqueNames: true}
}

// UpdateOptions are the options of an update from old to hooks: each
// rule the stored webhooks already break is relaxed, and the match
// conditions are skipped if no webhook's changed.
func UpdateOptions(hooks, old []Webhook) WebhookOptions {
	o := WebhookOptions{
		IgnoreMatchConditions:                   sameMatchConditions(hooks, old),
		RequireNoSideEffects:                    true,
		RequireRecognizedAdmissionReviewVersion: true,
		RequireUniqueNames:                      true,
	}
	names := sets.New[string]()
	var conditions [][]admissionregistrationv1.MatchCondition
	for _, h := range old {
		if h.SideEffects == nil || !slices.Contains(noSideEffectClasses, *h.SideEffects) {
			o.RequireNoSideEffects = false
		}
		if len(h.AdmissionReviewVersions) > 0 && !slices.ContainsFunc(h.AdmissionReviewVersions, acceptedReviewVersion) {
			o.RequireRecognizedAdmissionReviewVersion = false
		}
		if names.Has(h.Name) {
			o.RequireUniqueNames = false
		}
		names.Insert(h.Name)
		if len(validateSelector(*h.NamespaceSelector, false, nil)) > 0 || len(validateSelector(*h.ObjectSelector, false, nil)) > 0 {
			o.AllowInvalidLabelValueInSelector = true
		}
		conditions = append(conditions, h.MatchConditions)
	}
	o.Stored = StoredMatchConditions(conditions...)
	return o
}

// sameMatchConditions reports whether an update keeps every webhook's
// match conditions as they are (in the same webhook positions).
func sameMatchConditions(hooks, old []Webhook) bool {
	if len(hooks) != len(old) {
		return false
	}
	for i := range old {
		if !equalConditions(hooks[i].MatchConditions, old[i].MatchConditions) {
			return false
		}
	}
	return true
}

func equalConditions(a, b []admissionregistrationv1.MatchCondition) bool {
	// nil and empty differ, as reflect.DeepEqual has it upstream.
	if (a == nil) != (b == nil) {
		return false
	}
	return slices.Equal(a, b)
}

func acceptedReviewVersion(v string) bool { return slices.Contains(admissionReviewVersions, v) }

// ValidateWebhooks checks the webhooks of a configuration at
// webhooks[i], as ValidateValidatingWebhookConfiguration and
// ValidateMutatingWebhookConfiguration do besides metadata.
func ValidateWebhooks(hooks []Webhook, opts WebhookOptions) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, h := range hooks {
		fld := field.NewPath("webhooks").Index(i)
		errs = append(errs, validateWebhook(h, opts, fld)...)
		errs = append(errs, validateReviewVersions(h.AdmissionReviewVersions, opts.RequireRecognizedAdmissionReviewVersion, fld.Child("admissionReviewVersions"))...)
		if opts.RequireUniqueNames && h.Name != "" {
			if names.Has(h.Name) {
				errs = append(errs, field.Duplicate(fld.Child("name"), h.Name))
			}
			names.Insert(h.Name)
		}
	}
	return errs
}

func validateWebhook(h Webhook, opts WebhookOptions, fld *field.Path) field.ErrorList {
	errs := validation.IsFullyQualifiedName(fld.Child("name"), h.Name)
	for i := range h.Rules {
		errs = append(errs, validateRuleWithOperations(&h.Rules[i], fld.Child("rules").Index(i))...)
	}
	if p := *h.FailurePolicy; p != nil && !slices.Contains(failurePolicies, *p) {
		errs = append(errs, field.NotSupported(fld.Child("failurePolicy"), *p, failurePolicies))
	}
	if p := *h.MatchPolicy; p != nil && !slices.Contains(matchPolicies, *p) {
		errs = append(errs, field.NotSupported(fld.Child("matchPolicy"), *p, matchPolicies))
	}
	allowed := sideEffectClasses
	if opts.RequireNoSideEffects {
		allowed = noSideEffectClasses
	}
	switch {
	case h.SideEffects == nil:
		errs = append(errs, field.Required(fld.Child("sideEffects"), fmt.Sprintf("must specify one of %v", joinValues(allowed))))
	case !slices.Contains(allowed, *h.SideEffects):
		errs = append(errs, field.NotSupported(fld.Child("sideEffects"), *h.SideEffects, allowed))
	}
	if t := *h.TimeoutSeconds; t != nil && (*t > 30 || *t < 1) {
		errs = append(errs, field.Invalid(fld.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	errs = append(errs, validateSelector(*h.NamespaceSelector, opts.AllowInvalidLabelValueInSelector, fld.Child("namespaceSelector"))...)
	errs = append(errs, validateSelector(*h.ObjectSelector, opts.AllowInvalidLabelValueInSelector, fld.Child("objectSelector"))...)
	if h.ReinvocationPolicy != nil {
		if p := *h.ReinvocationPolicy; p != nil && !slices.Contains(reinvocationPolicies, *p) {
			errs = append(errs, field.NotSupported(fld.Child("reinvocationPolicy"), *p, reinvocationPolicies))
		}
	}
	errs = append(errs, validateClientConfig(h.ClientConfig, fld.Child("clientConfig"))...)
	if !opts.IgnoreMatchConditions {
		errs = append(errs, ValidateMatchConditions(h.MatchConditions, false, opts.Stored, fld.Child("matchConditions"))...)
	}
	return errs
}

// validateClientConfig checks that a webhook is reached by exactly one of
// an https URL or a Service.
func validateClientConfig(cc *admissionregistrationv1.WebhookClientConfig, fld *field.Path) field.ErrorList {
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		return field.ErrorList{field.Required(fld, "exactly one of url or service is required")}
	case cc.URL != nil:
		return webhook.ValidateWebhookURL(fld.Child("url"), *cc.URL, true)
	default:
		s := cc.Service
		var port int32
		if s.Port != nil {
			port = *s.Port
		}
		// Upstream passes the name where the helper takes the namespace
		// and the other way round, so a missing name is reported at
		// service.namespace and a missing namespace at service.name;
		// clients see exactly that from kube-apiserver.
		return webhook.ValidateWebhookService(fld.Child("service"), s.Name, s.Namespace, s.Path, port)
	}
}

// validateReviewVersions checks that a webhook names distinct AdmissionReview
// versions, each a DNS label, one of them one this server speaks.
func validateReviewVersions(versions []string, requireRecognized bool, fld *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(fld, "must specify one of "+strings.Join(admissionReviewVersions, ", "))}
	}
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, v := range versions {
		if seen.Has(v) {
			errs = append(errs, field.Invalid(fld.Index(i), v, "duplicate version"))
			continue
		}
		seen.Insert(v)
		for _, msg := range validation.IsDNS1035Label(v) {
			errs = append(errs, field.Invalid(fld.Index(i), v, msg))
		}
	}
	if requireRecognized && !slices.ContainsFunc(versions, acceptedReviewVersion) {
		errs = append(errs, field.Invalid(fld, versions, "must include at least one of "+strings.Join(admissionReviewVersions, ", ")))
	}
	return errs
}

// joinValues lists values as kube-apiserver's "must specify one of" does.
func joinValues[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
