package authnreview

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// NewStorage returns tokenreviews, answered by authn (the API server's
// request authenticator) for the API audiences apiAudiences, and
// selfsubjectreviews. A nil authn authenticates no token.
func NewStorage(authn authenticator.Request, apiAudiences authenticator.Audiences) *resource.Storage {
	return resource.NewCreateOnly(authenticationv1.SchemeGroupVersion, map[string]rest.Storage{
		"tokenreviews":       &tokenReviewREST{authn: authn, apiAudiences: apiAudiences},
		"selfsubjectreviews": &selfSubjectReviewREST{},
	})
}

// errAudiences is the answer to a TokenReview whose token is valid for
// none of the audiences it asks about.
var errAudiences = apierrors.NewInternalError(errors.New("error validating audiences"))

var (
	_ rest.Creater              = (*tokenReviewREST)(nil)
	_ rest.Scoper               = (*tokenReviewREST)(nil)
	_ rest.SingularNameProvider = (*tokenReviewREST)(nil)
	_ rest.Creater              = (*selfSubjectReviewREST)(nil)
	_ rest.Scoper               = (*selfSubjectReviewREST)(nil)
	_ rest.SingularNameProvider = (*selfSubjectReviewREST)(nil)
)

// tokenReviewREST authenticates the token a review carries, as the API
// server would authenticate it as a bearer token.
type tokenReviewREST struct {
	authn        authenticator.Request
	apiAudiences authenticator.Audiences
}

func (r *tokenReviewREST) New() runtime.Object     { return &authenticationv1.TokenReview{} }
func (r *tokenReviewREST) Destroy()                {}
func (r *tokenReviewREST) NamespaceScoped() bool   { return false }
func (r *tokenReviewREST) GetSingularName() string { return "tokenreview" }

func (r *tokenReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authenticationv1.TokenReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenReview: %#v", obj))
	}
	if ns := genericapirequest.NamespaceValue(ctx); ns != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", ns))
	}
	if review.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if r.authn == nil {
		return review, nil
	}
	// The review's audiences, else the API server's own.
	audiences := r.apiAudiences
	if len(review.Spec.Audiences) > 0 {
		audiences = authenticator.Audiences(review.Spec.Audiences)
	}
	req := (&http.Request{Header: http.Header{}}).WithContext(authenticator.WithAudiences(ctx, audiences))
	req.Header.Set("Authorization", "Bearer "+review.Spec.Token)
	resp, authenticated, err := r.authn.AuthenticateRequest(req)
	review.Status.Authenticated = authenticated
	if err != nil {
		review.Status.Error = err.Error()
	}
	if len(audiences) > 0 && resp != nil && len(audiences.Intersect(resp.Audiences)) == 0 {
		return nil, errAudiences
	}
	if resp != nil && resp.User != nil {
		review.Status.User = userInfo(resp.User)
		review.Status.Audiences = resp.Audiences
	}
	return review, nil
}

// selfSubjectReviewREST says who the request's user is.
type selfSubjectReviewREST struct{}

func (r *selfSubjectReviewREST) New() runtime.Object     { return &authenticationv1.SelfSubjectReview{} }
func (r *selfSubjectReviewREST) Destroy()                {}
func (r *selfSubjectReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectReviewREST) GetSingularName() string { return "selfsubjectreview" }

func (r *selfSubjectReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if _, ok := obj.(*authenticationv1.SelfSubjectReview); !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %#v", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	return &authenticationv1.SelfSubjectReview{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status:     authenticationv1.SelfSubjectReviewStatus{UserInfo: userInfo(u)},
	}, nil
}

// userInfo is u as the reviews report it.
func userInfo(u user.Info) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups()}
	if extra := u.GetExtra(); len(extra) > 0 {
		info.Extra = make(map[string]authenticationv1.ExtraValue, len(extra))
		for k, v := range extra {
			info.Extra[k] = v
		}
	}
	return info
}
