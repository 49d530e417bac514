package apiserver_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// saClient returns a client that authenticates as ServiceAccount ns/name
// (created here) with a TokenRequest token, as a pod would.
func saClient(t testing.TB, c *cluster.Cluster, admin kubernetes.Interface, ns, name string) kubernetes.Interface {
	t.Helper()
	ctx := t.Context()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clustertest.Config(c)
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host: cfg.Host, BearerToken: tr.Status.Token, QPS: -1,
		TLSClientConfig: rest.TLSClientConfig{CAData: cfg.CAData},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// wantError fails unless err is an API error with code and exactly msg.
func wantError(err error, code int32, msg string) error {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return fmt.Errorf("error = %v, want %d %q", err, code, msg)
	}
	if got := status.Status(); got.Code != code || got.Message != msg {
		return fmt.Errorf("error = %d %q, want %d %q", got.Code, got.Message, code, msg)
	}
	return nil
}

// TestRBACAuthorization checks a ServiceAccount token against the RBAC
// authorizer: denied with kube-apiserver's 403, allowed once a RoleBinding
// grants a role that lists pods, denied again once it is deleted; the admin token is in
// system:masters and allowed throughout.
func TestRBACAuthorization(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	admin := clustertest.Client(t, c)
	sa := saClient(t, c, admin, "default", "default")
	ctx := t.Context()
	const denied = `pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "kube-system"`
	list := func() error {
		_, err := sa.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		return err
	}
	if err := wantError(list(), 403, denied); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer", Namespace: "kube-system"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:aggregate-to-view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: "default"}},
	}
	if _, err := admin.RbacV1().RoleBindings("kube-system").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, 10*time.Second, list)
	// The role holds no secrets, and the binding no other namespace. (view
	// itself is empty here: no clusterrole-aggregation-controller runs.)
	if _, err := sa.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets with system:aggregate-to-view: %v, want 403", err)
	}
	if _, err := sa.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list pods in default: %v, want 403", err)
	}
	if err := admin.RbacV1().RoleBindings("kube-system").Delete(ctx, "viewer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, 10*time.Second, func() error { return wantError(list(), 403, denied) })
	// Discovery and whoami are everyone's (system:discovery, system:basic-user).
	if _, err := sa.Discovery().ServerVersion(); err != nil {
		t.Errorf("version as a ServiceAccount: %v", err)
	}
}

// TestRBACEscalation checks that a ServiceAccount that may write Roles and
// RoleBindings cannot grant what it does not hold, with upstream's texts,
// until it may escalate or bind.
func TestRBACEscalation(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	admin := clustertest.Client(t, c)
	sa := saClient(t, c, admin, "apps", "deployer")
	ctx := t.Context()
	grant := func(name string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"}, Rules: rules}
		if _, err := admin.RbacV1().Roles("apps").Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer"}},
		}
		if _, err := admin.RbacV1().RoleBindings("apps").Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	grant("rbac-writer", rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles", "rolebindings"}, Verbs: []string{"create", "get", "update"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}})
	const who = `user "system:serviceaccount:apps:deployer" (groups=["system:serviceaccounts" "system:serviceaccounts:apps" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:`

	podReader := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader", Namespace: "apps"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}, Verbs: []string{"get", "list"}},
	}}
	// Poll: the authorizer's informer sees the grant a moment after it is made.
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := sa.RbacV1().Roles("apps").Create(ctx, podReader, metav1.CreateOptions{})
		return wantError(err, 403, `roles.rbac.authorization.k8s.io "pod-reader" is forbidden: `+who+"\n"+
			`{APIGroups:[""], Resources:["configmaps"], Verbs:["list"]}`+"\n"+
			`{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`)
	})
	// A role within what it holds is fine.
	cmReader := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "cm-reader", Namespace: "apps"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
	}}
	if _, err := sa.RbacV1().Roles("apps").Create(ctx, cmReader, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create a role within its rights: %v", err)
	}

	// An update is checked too, after the change is applied.
	cmReader.Rules[0].Verbs = []string{"get", "watch"}
	_, err := sa.RbacV1().Roles("apps").Update(ctx, cmReader, metav1.UpdateOptions{})
	if err := wantError(err, 403, `roles.rbac.authorization.k8s.io "cm-reader" is forbidden: `+who+"\n"+
		`{APIGroups:[""], Resources:["configmaps"], Verbs:["watch"]}`); err != nil {
		t.Errorf("update beyond its rights: %v", err)
	}
	// An aggregationRule needs full authority, even with no rules.
	writer := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "clusterrole-writer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"create"}},
	}}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, writer, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "clusterrole-writer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "clusterrole-writer"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deployer", Namespace: "apps"}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	aggregated := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "everything"}, AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"example.com/aggregate": "true"}}},
	}}
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := sa.RbacV1().ClusterRoles().Create(ctx, aggregated, metav1.CreateOptions{})
		return wantError(err, 403, `clusterroles.rbac.authorization.k8s.io "everything" is forbidden: must have cluster-admin privileges to use the aggregationRule`)
	})

	toAdmin := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "admins", Namespace: "apps"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "jane"}},
	}
	_, err = sa.RbacV1().RoleBindings("apps").Create(ctx, toAdmin, metav1.CreateOptions{})
	var status apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &status) ||
		!hasPrefix(status.Status().Message, `rolebindings.rbac.authorization.k8s.io "admins" is forbidden: `+who+"\n") {
		t.Errorf("bind cluster-admin: %v, want 403 %q...", err, who)
	}
	missing := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ghost", Namespace: "apps"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "ghost"},
	}
	_, err = sa.RbacV1().RoleBindings("apps").Create(ctx, missing, metav1.CreateOptions{})
	if err := wantError(err, 404, `roles.rbac.authorization.k8s.io "ghost" not found`); err != nil {
		t.Errorf("bind a missing role: %v", err)
	}

	grant("escalator", rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles"}, Verbs: []string{"escalate"}},
		rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"cluster-admin"}})
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := sa.RbacV1().Roles("apps").Create(ctx, podReader, metav1.CreateOptions{})
		return err
	})
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := sa.RbacV1().RoleBindings("apps").Create(ctx, toAdmin, metav1.CreateOptions{})
		return err
	})
	// bind on cluster-admin is not bind on another role.
	toEdit := toAdmin.DeepCopy()
	toEdit.Name, toEdit.RoleRef.Name = "nodes", "system:node"
	if _, err := sa.RbacV1().RoleBindings("apps").Create(ctx, toEdit, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bind system:node with bind on cluster-admin only: %v, want 403", err)
	}
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// TestAuthorizationModeAlwaysAllow checks that AlwaysAllow lets a
// ServiceAccount do anything, and that a bad mode fails the start.
func TestAuthorizationModeAlwaysAllow(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{AuthorizationModes: []string{"AlwaysAllow"}})
	sa := saClient(t, c, clustertest.Client(t, c), "default", "default")
	if _, err := sa.CoreV1().Secrets("kube-system").List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("list secrets with AlwaysAllow: %v", err)
	}
	if _, err := cluster.Start(t.Context(), cluster.Options{DataDir: t.TempDir(), AuthorizationModes: []string{"ABAC"}}); err == nil {
		t.Error("start with mode ABAC: no error")
	}
}

// TestImpersonation checks that acting as another user (kubectl --as,
// --as-group) is refused with kube-apiserver's 403 until RBAC grants
// impersonate, and that the request then runs as the impersonated user,
// whose own permissions decide.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	admin := clustertest.Client(t, c)
	ctx := t.Context()
	saClient(t, c, admin, "imp", "actor")
	tr, err := admin.CoreV1().ServiceAccounts("imp").CreateToken(ctx, "actor", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := clustertest.Config(c)
	as := func(u string, groups ...string) kubernetes.Interface {
		client, err := kubernetes.NewForConfig(&rest.Config{
			Host: base.Host, BearerToken: tr.Status.Token, QPS: -1,
			TLSClientConfig: rest.TLSClientConfig{CAData: base.CAData},
			Impersonate:     rest.ImpersonationConfig{UserName: u, Groups: groups},
		})
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	whoami := func(client kubernetes.Interface) (*authenticationv1.SelfSubjectReview, error) {
		return client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	}
	// v1.37's constrained impersonation asks first whether the actor may
	// impersonate for this verb and resource, and reports that when
	// neither it nor plain impersonate is granted.
	_, err = whoami(as("jane"))
	if err := wantError(err, 403, `selfsubjectreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:imp:actor" cannot impersonate-on:user-info:create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope`); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "impersonate-jane"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"jane"}},
			{APIGroups: []string{""}, Resources: []string{"groups"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"developers"}},
		},
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "impersonate-jane"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "impersonate-jane"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "actor", Namespace: "imp"}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var review *authenticationv1.SelfSubjectReview
	clustertest.Poll(t, 10*time.Second, func() (err error) {
		review, err = whoami(as("jane", "developers"))
		return err
	})
	if got := review.Status.UserInfo; got.Username != "jane" || !slices.Equal(got.Groups, []string{"developers", "system:authenticated"}) {
		t.Errorf("impersonated user = %+v, want jane in developers and system:authenticated", got)
	}
	// A group the role does not name is refused; so is another user.
	_, err = whoami(as("jane", "system:masters"))
	if err := wantError(err, 403, `groups "system:masters" is forbidden: User "system:serviceaccount:imp:actor" cannot impersonate resource "groups" in API group "" at the cluster scope`); err != nil {
		t.Error(err)
	}
	_, err = whoami(as("john"))
	if err := wantError(err, 403, `users "john" is forbidden: User "system:serviceaccount:imp:actor" cannot impersonate resource "users" in API group "" at the cluster scope`); err != nil {
		t.Error(err)
	}
	// As jane, jane's permissions apply: none on secrets.
	_, err = as("jane").CoreV1().Secrets("imp").List(ctx, metav1.ListOptions{})
	if err := wantError(err, 403, `secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "imp"`); err != nil {
		t.Error(err)
	}
}
