package authnreview

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// tokens knows "good", valid for the audience "api", and "other", valid
// for "elsewhere".
var tokens = authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
	switch req.Header.Get("Authorization") {
	case "Bearer good":
		return &authenticator.Response{User: &user.DefaultInfo{Name: "alice", UID: "1", Groups: []string{"devs"}, Extra: map[string][]string{"k": {"v"}}}, Audiences: authenticator.Audiences{"api"}}, true, nil
	case "Bearer other":
		return &authenticator.Response{User: &user.DefaultInfo{Name: "bob"}, Audiences: authenticator.Audiences{"elsewhere"}}, true, nil
	}
	return nil, false, nil
})

func TestTokenReview(t *testing.T) {
	t.Parallel()
	r := NewStorage(tokens, authenticator.Audiences{"api"}).Map()["tokenreviews"].(rest.Creater)
	review := func(token string, audiences ...string) (*authenticationv1.TokenReview, error) {
		got, err := r.Create(context.Background(), &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: audiences}}, nil, &metav1.CreateOptions{})
		if err != nil {
			return nil, err
		}
		return got.(*authenticationv1.TokenReview), nil
	}
	got, err := review("good")
	if err != nil {
		t.Fatal(err)
	}
	want := authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"api"},
		User: authenticationv1.UserInfo{Username: "alice", UID: "1", Groups: []string{"devs"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}}
	if diff := cmp.Diff(want, got.Status); diff != "" {
		t.Errorf("good token (-want +got):\n%s", diff)
	}
	if got, err := review("nope"); err != nil || got.Status.Authenticated {
		t.Errorf("unknown token: %+v, %v", got, err)
	}
	if _, err := review("other"); !apierrors.IsInternalError(err) {
		t.Errorf("token for another audience: %v, want 500 error validating audiences", err)
	}
	if got, err := review("other", "elsewhere"); err != nil || !got.Status.Authenticated || got.Status.User.Username != "bob" {
		t.Errorf("token for the audience the review asks about: %+v, %v", got, err)
	}
	if _, err := review(""); !apierrors.IsBadRequest(err) {
		t.Errorf("empty token: %v, want 400", err)
	}
}

func TestSelfSubjectReview(t *testing.T) {
	t.Parallel()
	r := NewStorage(nil, nil).Map()["selfsubjectreviews"].(rest.Creater)
	ctx := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}})
	got, err := r.Create(ctx, &authenticationv1.SelfSubjectReview{}, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}
	if diff := cmp.Diff(want, got.(*authenticationv1.SelfSubjectReview).Status.UserInfo); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := r.Create(context.Background(), &authenticationv1.SelfSubjectReview{}, nil, &metav1.CreateOptions{}); !apierrors.IsBadRequest(err) {
		t.Errorf("without a user: %v, want 400", err)
	}
}
