package accessreview

import (
	"context"
	"errors"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// errNoRuleResolution is the evaluation error of a SelfSubjectRulesReview
// when the authorizer cannot list what a user may do, as kube-apiserver
// answers for an authorizer without rule resolution (a webhook).
var errNoRuleResolution = errors.New("authorizer does not support user rule resolution")

// NewStorage returns the four review resources, answered by authz. A
// SelfSubjectRulesReview lists the rules resolver resolves; a nil resolver
// means authz's own if it is an authorizer.RuleResolver, and otherwise
// the answer is marked incomplete.
func NewStorage(authz authorizer.Authorizer, resolver authorizer.RuleResolver) *resource.Storage {
	if resolver == nil {
		resolver, _ = authz.(authorizer.RuleResolver)
	}
	return resource.NewCreateOnly(authorizationv1.SchemeGroupVersion, map[string]rest.Storage{
		"subjectaccessreviews":      &subjectAccessReviewREST{authz: authz},
		"localsubjectaccessreviews": &localSubjectAccessReviewREST{authz: authz},
		"selfsubjectaccessreviews":  &selfSubjectAccessReviewREST{authz: authz},
		"selfsubjectrulesreviews":   &selfSubjectRulesReviewREST{resolver: resolver},
	})
}

var (
	_ rest.Creater              = (*subjectAccessReviewREST)(nil)
	_ rest.Scoper               = (*subjectAccessReviewREST)(nil)
	_ rest.SingularNameProvider = (*subjectAccessReviewREST)(nil)
	_ rest.Creater              = (*localSubjectAccessReviewREST)(nil)
	_ rest.Scoper               = (*localSubjectAccessReviewREST)(nil)
	_ rest.SingularNameProvider = (*localSubjectAccessReviewREST)(nil)
	_ rest.Creater              = (*selfSubjectAccessReviewREST)(nil)
	_ rest.Scoper               = (*selfSubjectAccessReviewREST)(nil)
	_ rest.SingularNameProvider = (*selfSubjectAccessReviewREST)(nil)
	_ rest.Creater              = (*selfSubjectRulesReviewREST)(nil)
	_ rest.Scoper               = (*selfSubjectRulesReviewREST)(nil)
	_ rest.SingularNameProvider = (*selfSubjectRulesReviewREST)(nil)
)

// subjectAccessReviewREST answers whether the user the spec names may do
// what it asks.
type subjectAccessReviewREST struct{ authz authorizer.Authorizer }

func (r *subjectAccessReviewREST) New() runtime.Object { return &authorizationv1.SubjectAccessReview{} }
func (r *subjectAccessReviewREST) Destroy()            {}
func (r *subjectAccessReviewREST) NamespaceScoped() bool {
	return false
}
func (r *subjectAccessReviewREST) GetSingularName() string { return "subjectaccessreview" }

func (r *subjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SubjectAccessReview: %#v", obj))
	}
	if errs := validateSubjectAccessReview(review); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(), "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	review.Status = decide(ctx, r.authz, specAttributes(review.Spec))
	return review, nil
}

// localSubjectAccessReviewREST is subjectAccessReviewREST within the
// namespace of the request.
type localSubjectAccessReviewREST struct{ authz authorizer.Authorizer }

func (r *localSubjectAccessReviewREST) New() runtime.Object {
	return &authorizationv1.LocalSubjectAccessReview{}
}
func (r *localSubjectAccessReviewREST) Destroy()                {}
func (r *localSubjectAccessReviewREST) NamespaceScoped() bool   { return true }
func (r *localSubjectAccessReviewREST) GetSingularName() string { return "localsubjectaccessreview" }

func (r *localSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.LocalSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a LocalSubjectAccessReview: %#v", obj))
	}
	if errs := validateLocalSubjectAccessReview(review); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("LocalSubjectAccessReview").GroupKind(), "", errs)
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", namespace))
	}
	if namespace != review.Namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", namespace))
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	review.Status = decide(ctx, r.authz, specAttributes(review.Spec))
	return review, nil
}

// selfSubjectAccessReviewREST answers whether the caller may do what the
// spec asks.
type selfSubjectAccessReviewREST struct{ authz authorizer.Authorizer }

func (r *selfSubjectAccessReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectAccessReview{}
}
func (r *selfSubjectAccessReviewREST) Destroy()                {}
func (r *selfSubjectAccessReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectAccessReviewREST) GetSingularName() string { return "selfsubjectaccessreview" }

func (r *selfSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %#v", obj))
	}
	if errs := validateSelfSubjectAccessReview(review); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "", errs)
	}
	caller, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	var attrs authorizer.AttributesRecord
	if ra := review.Spec.ResourceAttributes; ra != nil {
		attrs = resourceAttributes(caller, *ra)
	} else {
		attrs = nonResourceAttributes(caller, *review.Spec.NonResourceAttributes)
	}
	review.Status = decide(ctx, r.authz, attrs)
	return review, nil
}

// decide asks authz about attrs and reports its answer as a review status.
func decide(ctx context.Context, authz authorizer.Authorizer, attrs authorizer.AttributesRecord) authorizationv1.SubjectAccessReviewStatus {
	decision, reason, err := authz.Authorize(ctx, attrs)
	status := authorizationv1.SubjectAccessReviewStatus{
		Allowed: decision == authorizer.DecisionAllow,
		Denied:  decision == authorizer.DecisionDeny,
		Reason:  reason,
	}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return status
}

// selfSubjectRulesReviewREST lists what the caller may do in a namespace.
type selfSubjectRulesReviewREST struct{ resolver authorizer.RuleResolver }

func (r *selfSubjectRulesReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectRulesReview{}
}
func (r *selfSubjectRulesReviewREST) Destroy()                {}
func (r *selfSubjectRulesReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectRulesReviewREST) GetSingularName() string { return "selfsubjectrulesreview" }

func (r *selfSubjectRulesReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectRulesReview: %#v", obj))
	}
	caller, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if review.Spec.Namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	return &authorizationv1.SelfSubjectRulesReview{Status: rulesFor(ctx, r.resolver, caller, review.Spec.Namespace)}, nil
}

// rulesFor is what resolver resolves for u in namespace; a nil resolver
// resolves nothing and says so.
func rulesFor(ctx context.Context, resolver authorizer.RuleResolver, u user.Info, namespace string) authorizationv1.SubjectRulesReviewStatus {
	if resolver == nil {
		return authorizationv1.SubjectRulesReviewStatus{
			ResourceRules:    []authorizationv1.ResourceRule{},
			NonResourceRules: []authorizationv1.NonResourceRule{},
			Incomplete:       true,
			EvaluationError:  errNoRuleResolution.Error(),
		}
	}
	resourceInfo, nonResourceInfo, incomplete, err := resolver.RulesFor(ctx, u, namespace)
	status := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    make([]authorizationv1.ResourceRule, 0, len(resourceInfo)),
		NonResourceRules: make([]authorizationv1.NonResourceRule, 0, len(nonResourceInfo)),
		Incomplete:       incomplete,
	}
	for _, info := range resourceInfo {
		status.ResourceRules = append(status.ResourceRules, authorizationv1.ResourceRule{
			Verbs: info.GetVerbs(), APIGroups: info.GetAPIGroups(), Resources: info.GetResources(), ResourceNames: info.GetResourceNames(),
		})
	}
	for _, info := range nonResourceInfo {
		status.NonResourceRules = append(status.NonResourceRules, authorizationv1.NonResourceRule{
			Verbs: info.GetVerbs(), NonResourceURLs: info.GetNonResourceURLs(),
		})
	}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return status
}
