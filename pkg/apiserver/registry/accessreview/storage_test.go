package accessreview

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// podReader allows alice to get pods in default and nothing else, denies
// bob everything, and resolves alice's rules.
type podReader struct{}

var (
	_ authorizer.Authorizer   = podReader{}
	_ authorizer.RuleResolver = podReader{}
)

func (podReader) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	switch {
	case a.GetUser().GetName() == "bob":
		return authorizer.DecisionDeny, "bob is banned", nil
	case a.GetUser().GetName() == "alice" && a.IsResourceRequest() && a.GetVerb() == "get" && a.GetResource() == "pods" && a.GetNamespace() == "default":
		return authorizer.DecisionAllow, "pod reader", nil
	case !a.IsResourceRequest() && a.GetPath() == "/broken":
		return authorizer.DecisionNoOpinion, "", errors.New("rule evaluation failed")
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func (podReader) RulesFor(_ context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	if u.GetName() != "alice" || namespace != "default" {
		return nil, nil, false, nil
	}
	return []authorizer.ResourceRuleInfo{&authorizer.DefaultResourceRuleInfo{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
		[]authorizer.NonResourceRuleInfo{&authorizer.DefaultNonResourceRuleInfo{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}, false, nil
}

// noRules authorizes but cannot list rules.
type noRules struct{}

func (noRules) Authorize(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
	return authorizer.DecisionAllow, "", nil
}

func as(name string) context.Context {
	return genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: name})
}

func TestSelfSubjectAccessReview(t *testing.T) {
	t.Parallel()
	r := NewStorage(podReader{}, nil).Map()["selfsubjectaccessreviews"].(rest.Creater)
	for _, tc := range []struct {
		name string
		user string
		spec authorizationv1.SelfSubjectAccessReviewSpec
		want authorizationv1.SubjectAccessReviewStatus
	}{
		{"allowed", "alice", authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods"}},
			authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "pod reader"}},
		{"no opinion", "alice", authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "pods"}},
			authorizationv1.SubjectAccessReviewStatus{}},
		{"denied", "bob", authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods"}},
			authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "bob is banned"}},
		{"evaluation error", "alice", authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/broken", Verb: "get"}},
			authorizationv1.SubjectAccessReviewStatus{EvaluationError: "rule evaluation failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.Create(as(tc.user), &authorizationv1.SelfSubjectAccessReview{Spec: tc.spec}, nil, &metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.(*authorizationv1.SelfSubjectAccessReview).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubjectAccessReview(t *testing.T) {
	t.Parallel()
	r := NewStorage(podReader{}, nil).Map()["subjectaccessreviews"].(rest.Creater)
	got, err := r.Create(as("admin"), &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods"}}}, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.(*authorizationv1.SubjectAccessReview).Status; !s.Allowed {
		t.Errorf("alice may not get pods: %+v", s)
	}
}

func TestLocalSubjectAccessReview(t *testing.T) {
	t.Parallel()
	r := NewStorage(podReader{}, nil).Map()["localsubjectaccessreviews"].(rest.Creater)
	ctx := genericapirequest.WithNamespace(as("admin"), "default")
	review := func(ns string) *authorizationv1.LocalSubjectAccessReview {
		return &authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "default"}, Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "pods"}}}
	}
	got, err := r.Create(ctx, review("default"), nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.(*authorizationv1.LocalSubjectAccessReview).Status; !s.Allowed {
		t.Errorf("alice may not get pods: %+v", s)
	}
	_, err = r.Create(ctx, review("other"), nil, &metav1.CreateOptions{})
	want := `LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Errorf("other namespace: %v\nwant %s", err, want)
	}
}

func TestSelfSubjectRulesReview(t *testing.T) {
	t.Parallel()
	review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}}
	got, err := NewStorage(podReader{}, nil).Map()["selfsubjectrulesreviews"].(rest.Creater).Create(as("alice"), review.DeepCopy(), nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    []authorizationv1.ResourceRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
		NonResourceRules: []authorizationv1.NonResourceRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}},
	}
	if diff := cmp.Diff(want, got.(*authorizationv1.SelfSubjectRulesReview).Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	got, err = NewStorage(noRules{}, nil).Map()["selfsubjectrulesreviews"].(rest.Creater).Create(as("alice"), review.DeepCopy(), nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.(*authorizationv1.SelfSubjectRulesReview).Status; !s.Incomplete || len(s.ResourceRules) != 0 || s.EvaluationError == "" {
		t.Errorf("without a rule resolver: %+v, want incomplete with no rules and an evaluation error", s)
	}

	_, err = NewStorage(podReader{}, nil).Map()["selfsubjectrulesreviews"].(rest.Creater).Create(as("alice"), &authorizationv1.SelfSubjectRulesReview{}, nil, &metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) || err.Error() != "no namespace on request" {
		t.Errorf("without a namespace: %v, want 400 no namespace on request", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ra := &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods"}
	nra := &authorizationv1.NonResourceAttributes{Verb: "get", Path: "/healthz"}
	for _, tc := range []struct {
		name   string
		review *authorizationv1.SubjectAccessReview
		want   []string
	}{
		{"valid", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: ra}}, nil},
		{"group only", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"g"}, NonResourceAttributes: nra}}, nil},
		{"both kinds", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: ra, NonResourceAttributes: nra}},
			[]string{`spec.nonResourceAttributes: Invalid value: {"path":"/healthz","verb":"get"}: cannot be specified in combination with resourceAttributes`}},
		{"neither kind, nobody", &authorizationv1.SubjectAccessReview{},
			[]string{
				"spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
				`spec.user: Invalid value: "": at least one of user or group must be specified`,
			}},
		{"metadata", &authorizationv1.SubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: ra}},
			[]string{`metadata: Invalid value: {"name":"x"}: must be empty`}},
		{"selector both raw and requirements", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "list", Resource: "pods", LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "a=b", Requirements: []metav1.LabelSelectorRequirement{{Key: "a", Operator: metav1.LabelSelectorOpExists}}}}}},
			[]string{`spec.resourceAttributes.labelSelector.rawSelector: Invalid value: "a=b": may not specified at the same time as requirements`}},
		{"empty field selector", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "list", Resource: "pods", FieldSelector: &authorizationv1.FieldSelectorAttributes{}}}},
			[]string{"spec.resourceAttributes.fieldSelector.requirements: Required value: when spec.resourceAttributes.fieldSelector is specified, requirements or rawSelector is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, err := range validateSubjectAccessReview(tc.review) {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSelectorAttributes: a review's raw selectors reach the authorizer
// as requirements.
func TestSelectorAttributes(t *testing.T) {
	t.Parallel()
	attrs := resourceAttributes(&user.DefaultInfo{Name: "u"}, authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods",
		FieldSelector: &authorizationv1.FieldSelectorAttributes{RawSelector: "spec.nodeName=worker0"},
		LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "app in (web)"}})
	fields, err := attrs.GetFieldSelector()
	if err != nil || len(fields) != 1 || fields[0].Field != "spec.nodeName" || fields[0].Value != "worker0" {
		t.Errorf("field selector = %v, %v", fields, err)
	}
	labels, err := attrs.GetLabelSelector()
	if err != nil || len(labels) != 1 || labels[0].Key() != "app" {
		t.Errorf("label selector = %v, %v", labels, err)
	}
	if attrs.GetAPIVersion() != "*" {
		t.Errorf("apiVersion = %q, want * for an empty version", attrs.GetAPIVersion())
	}
}

func (a podReader) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

func (podReader) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func (a noRules) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

func (noRules) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}
