package apiserver_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestReviews sends the reviews kubectl auth can-i and kubectl auth whoami
// send, as the admin and impersonating a service account, and checks the
// answers against what the API server's authorizer and authenticator say.
func TestReviews(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	// The kubeconfig's admin, as kubectl is (RESTConfig is the API
	// server's own loopback identity).
	adminConfig, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	adminConfig.QPS = -1
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	ctx := t.Context()

	t.Run("discovery", func(t *testing.T) {
		t.Parallel()
		want := map[string]map[string]bool{ // group version → resource → namespaced
			"authorization.k8s.io/v1":  {"selfsubjectaccessreviews": false, "subjectaccessreviews": false, "localsubjectaccessreviews": true, "selfsubjectrulesreviews": false},
			"authentication.k8s.io/v1": {"selfsubjectreviews": false, "tokenreviews": false},
		}
		for gv, resources := range want {
			list, err := admin.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				t.Fatalf("%s: %v", gv, err)
			}
			got := map[string]bool{}
			for _, r := range list.APIResources {
				if !slices.Equal(r.Verbs, metav1.Verbs{"create"}) {
					t.Errorf("%s %s verbs = %v, want [create]", gv, r.Name, r.Verbs)
				}
				got[r.Name] = r.Namespaced
			}
			if diff := cmp.Diff(resources, got); diff != "" {
				t.Errorf("%s resources (-want +got):\n%s", gv, diff)
			}
		}
	})

	t.Run("can-i create pods", func(t *testing.T) {
		t.Parallel()
		got, err := admin.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Status.Allowed || got.Status.Denied {
			t.Errorf("admin may not create pods: %+v", got.Status)
		}
	})

	t.Run("can-i --list", func(t *testing.T) {
		t.Parallel()
		got, err := admin.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all := authorizationv1.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}
		if !slices.ContainsFunc(got.Status.ResourceRules, func(r authorizationv1.ResourceRule) bool { return cmp.Equal(all, r) }) {
			t.Errorf("admin's rules %+v lack %+v", got.Status.ResourceRules, all)
		}
		if got.Status.Incomplete || got.Status.EvaluationError != "" {
			t.Errorf("status incomplete=%v evaluationError=%q, want a complete answer", got.Status.Incomplete, got.Status.EvaluationError)
		}
		_, err = admin.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{}, metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) || err.Error() != "no namespace on request" {
			t.Errorf("without a namespace: %v, want 400 no namespace on request", err)
		}
	})

	t.Run("can-i as a service account", func(t *testing.T) {
		t.Parallel()
		cfg := rest.CopyConfig(adminConfig)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:default:default"}
		sa := kubernetes.NewForConfigOrDie(cfg)
		attrs := &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "get", Resource: "pods"}
		self, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The same question about the same subject, asked by the admin.
		other, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: attrs, User: "system:serviceaccount:default:default",
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(other.Status, self.Status); diff != "" {
			t.Errorf("self review differs from the admin's review of the same subject (-admin +self):\n%s", diff)
		}
		who, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := authenticationv1.UserInfo{Username: "system:serviceaccount:default:default",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}}
		if diff := cmp.Diff(want, who.Status.UserInfo); diff != "" {
			t.Errorf("whoami as the service account (-want +got):\n%s", diff)
		}
	})

	t.Run("local review", func(t *testing.T) {
		t.Parallel()
		got, err := admin.AuthorizationV1().LocalSubjectAccessReviews("default").Create(ctx, &authorizationv1.LocalSubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "kubernetes-admin", Groups: []string{"system:masters"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "delete", Resource: "secrets"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Status.Allowed {
			t.Errorf("system:masters may not delete secrets: %+v", got.Status)
		}
		_, err = admin.AuthorizationV1().LocalSubjectAccessReviews("default").Create(ctx, &authorizationv1.LocalSubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "u", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "other", Verb: "get", Resource: "pods"}},
		}, metav1.CreateOptions{})
		want := `LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace`
		if !apierrors.IsInvalid(err) || err.Error() != want {
			t.Errorf("review of another namespace: %v\nwant %s", err, want)
		}
	})

	t.Run("invalid review", func(t *testing.T) {
		t.Parallel()
		_, err := admin.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{}, metav1.CreateOptions{})
		want := `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified`
		if !apierrors.IsInvalid(err) || err.Error() != want {
			t.Errorf("empty review: %v\nwant %s", err, want)
		}
	})

	t.Run("whoami", func(t *testing.T) {
		t.Parallel()
		got, err := admin.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}
		if diff := cmp.Diff(want, got.Status.UserInfo); diff != "" {
			t.Errorf("whoami (-want +got):\n%s", diff)
		}
		if got.CreationTimestamp.IsZero() {
			t.Error("no creationTimestamp")
		}
	})

	t.Run("token review", func(t *testing.T) {
		t.Parallel()
		review := func(token string) *authenticationv1.TokenReview {
			t.Helper()
			got, err := admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := review(adminConfig.BearerToken); !got.Status.Authenticated || got.Status.User.Username != "kubernetes-admin" {
			t.Errorf("admin token: %+v", got.Status)
		}
		if got := review("not-a-token"); got.Status.Authenticated || got.Status.User.Username != "" {
			t.Errorf("bogus token: %+v, want unauthenticated", got.Status)
		}
		if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reviewer"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "reviewer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := review(tr.Status.Token)
		if !got.Status.Authenticated || got.Status.User.Username != "system:serviceaccount:default:reviewer" ||
			!slices.Contains(got.Status.User.Groups, "system:serviceaccounts:default") || len(got.Status.Audiences) == 0 {
			t.Errorf("service account token: %+v", got.Status)
		}
		_, err = admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{}, metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) || err.Error() != "token is required for TokenReview in authentication" {
			t.Errorf("empty token: %v, want 400", err)
		}
	})
}
