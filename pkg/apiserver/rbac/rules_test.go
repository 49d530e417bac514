package rbac

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// res is a resource request; url a non-resource one.
func res(verb, group, resource, sub, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name, ResourceRequest: true}
}

func url(verb, path string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{Verb: verb, Path: path}
}

func TestRuleAllows(t *testing.T) {
	t.Parallel()
	pods := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	for _, tt := range []struct {
		name  string
		rule  rbacv1.PolicyRule
		attrs authorizer.AttributesRecord
		want  bool
	}{
		{"verb and resource", pods, res("list", "", "pods", "", ""), true},
		{"other verb", pods, res("delete", "", "pods", "", "web"), false},
		{"other group", pods, res("get", "apps", "pods", "", ""), false},
		{"other resource", pods, res("get", "", "secrets", "", ""), false},
		{"subresource needs its own rule", pods, res("get", "", "pods", "log", "web"), false},
		{"resource/subresource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}},
			res("get", "", "pods", "log", "web"), true},
		{"resource/subresource is not the resource", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}},
			res("get", "", "pods", "", "web"), false},
		{"*/subresource", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			res("update", "apps", "deployments", "scale", "web"), true},
		{"*/subresource not another", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			res("update", "apps", "deployments", "status", "web"), false},
		{"*/subresource not the resource", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			res("update", "apps", "deployments", "", "web"), false},
		{"resource * covers subresources", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			res("create", "", "pods", "exec", "web"), true},
		{"verb *", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"pods"}},
			res("deletecollection", "", "pods", "", ""), true},
		{"group *", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"deployments"}},
			res("get", "apps", "deployments", "", "web"), true},
		{"resource name", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"cfg"}},
			res("get", "", "configmaps", "", "cfg"), true},
		{"other resource name", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"cfg"}},
			res("get", "", "configmaps", "", "other"), false},
		{"resource names do not allow list", rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"cfg"}},
			res("list", "", "configmaps", "", ""), false},
		{"resource rule is not a URL rule", pods, url("get", "/api"), false},
		{"URL", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, url("get", "/healthz"), true},
		{"URL other verb", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, url("post", "/healthz"), false},
		{"URL exact only", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, url("get", "/healthz/ping"), false},
		{"URL prefix *", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}, url("get", "/apis/apps/v1"), true},
		{"URL prefix * not the parent", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}, url("get", "/apis"), false},
		{"URL *", rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}, url("get", "/metrics"), true},
		{"URL rule is not a resource rule", rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}, res("get", "", "pods", "", ""), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RuleAllows(tt.attrs, &tt.rule); got != tt.want {
				t.Errorf("RuleAllows(%+v, %+v) = %v, want %v", tt.attrs, tt.rule, got, tt.want)
			}
		})
	}
}

// fakeGetters is a policy in memory.
type fakeGetters struct {
	roles               map[string]*rbacv1.Role // namespace/name
	clusterRoles        map[string]*rbacv1.ClusterRole
	roleBindings        []*rbacv1.RoleBinding
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
}

var _ Getters = (*fakeGetters)(nil)

func (f *fakeGetters) GetRole(_ context.Context, ns, name string) (*rbacv1.Role, error) {
	if r, ok := f.roles[ns+"/"+name]; ok {
		return r, nil
	}
	return nil, apierrors.NewNotFound(rbacv1.Resource("role"), name)
}

func (f *fakeGetters) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	if r, ok := f.clusterRoles[name]; ok {
		return r, nil
	}
	return nil, apierrors.NewNotFound(rbacv1.Resource("clusterrole"), name)
}

func (f *fakeGetters) ListRoleBindings(_ context.Context, ns string) ([]*rbacv1.RoleBinding, error) {
	var out []*rbacv1.RoleBinding
	for _, b := range f.roleBindings {
		if b.Namespace == ns {
			out = append(out, b)
		}
	}
	return out, nil
}

func (f *fakeGetters) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return f.clusterRoleBindings, nil
}

func policy() *fakeGetters {
	ref := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	b := func(ns, name string, roleRef rbacv1.RoleRef, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
		rb := &rbacv1.RoleBinding{RoleRef: roleRef, Subjects: subjects}
		rb.Namespace, rb.Name = ns, name
		return rb
	}
	g := &fakeGetters{
		roles: map[string]*rbacv1.Role{"apps/cm": {Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}},
		clusterRoles: map[string]*rbacv1.ClusterRole{
			"pod-reader": {Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
			"discovery":  {Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/api/*"}}}},
		},
		roleBindings: []*rbacv1.RoleBinding{
			b("apps", "cm", ref("Role", "cm"), rbacv1.Subject{Kind: "ServiceAccount", Name: "builder"}),
			b("apps", "pods", ref("ClusterRole", "pod-reader"), rbacv1.Subject{Kind: "User", Name: "jane"}),
			b("apps", "dangling", ref("Role", "ghost"), rbacv1.Subject{Kind: "User", Name: "bob"}),
		},
	}
	crb := &rbacv1.ClusterRoleBinding{RoleRef: ref("ClusterRole", "discovery"), Subjects: []rbacv1.Subject{{Kind: "Group", Name: user.AllAuthenticated}}}
	crb.Name = "discovery"
	g.clusterRoleBindings = []*rbacv1.ClusterRoleBinding{crb}
	return g
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	a := NewAuthorizer(policy())
	builder := &user.DefaultInfo{Name: "system:serviceaccount:apps:builder", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:apps", user.AllAuthenticated}}
	otherBuilder := &user.DefaultInfo{Name: "system:serviceaccount:other:builder", Groups: []string{user.AllAuthenticated}}
	jane := &user.DefaultInfo{Name: "jane", Groups: []string{user.AllAuthenticated}}
	bob := &user.DefaultInfo{Name: "bob"}
	in := func(a authorizer.AttributesRecord, u user.Info, ns string) authorizer.AttributesRecord {
		a.User, a.Namespace = u, ns
		return a
	}
	for _, tt := range []struct {
		name   string
		attrs  authorizer.AttributesRecord
		want   authorizer.Decision
		reason string
	}{
		{"ServiceAccount by its namespace's binding", in(res("get", "", "configmaps", "", "x"), builder, "apps"), authorizer.DecisionAllow,
			`RBAC: allowed by RoleBinding "cm/apps" of Role "cm" to ServiceAccount "builder/apps"`},
		{"same name, other namespace", in(res("get", "", "configmaps", "", "x"), otherBuilder, "apps"), authorizer.DecisionNoOpinion, ""},
		{"binding is its namespace's only", in(res("get", "", "configmaps", "", "x"), builder, "default"), authorizer.DecisionNoOpinion, ""},
		{"user by ClusterRole in a RoleBinding", in(res("list", "", "pods", "", ""), jane, "apps"), authorizer.DecisionAllow,
			`RBAC: allowed by RoleBinding "pods/apps" of ClusterRole "pod-reader" to User "jane"`},
		{"not cluster-wide", in(res("list", "", "pods", "", ""), jane, ""), authorizer.DecisionNoOpinion, ""},
		{"group by ClusterRoleBinding", in(url("get", "/api/v1"), jane, ""), authorizer.DecisionAllow,
			`RBAC: allowed by ClusterRoleBinding "discovery" of ClusterRole "discovery" to Group "system:authenticated"`},
		{"missing role is the reason", in(res("get", "", "pods", "", ""), bob, "apps"), authorizer.DecisionNoOpinion,
			`RBAC: role.rbac.authorization.k8s.io "ghost" not found`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, reason, err := a.Authorize(t.Context(), tt.attrs)
			if err != nil || got != tt.want || reason != tt.reason {
				t.Errorf("Authorize() = %v, %q, %v; want %v, %q", got, reason, err, tt.want, tt.reason)
			}
		})
	}
}

func TestConfirmNoEscalation(t *testing.T) {
	t.Parallel()
	r := NewResolver(policy())
	jane := &user.DefaultInfo{Name: "jane", Groups: []string{"devs", user.AllAuthenticated}}
	ctx := genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), jane), "apps")
	if err := ConfirmNoEscalation(ctx, r, []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}); err != nil {
		t.Errorf("grant what jane holds: %v", err)
	}
	err := ConfirmNoEscalation(ctx, r, []rbacv1.PolicyRule{
		{Verbs: []string{"get", "list", "delete"}, APIGroups: []string{""}, Resources: []string{"pods", "secrets"}},
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}},
	})
	want := `user "jane" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:` + "\n" +
		`{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}` + "\n" +
		`{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "delete"]}` + "\n" +
		`{NonResourceURLs:["/metrics"], Verbs:["get"]}`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
	bob := &user.DefaultInfo{Name: "bob"}
	err = ConfirmNoEscalation(genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), bob), "apps"), r,
		[]rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}})
	if err == nil || !strings.HasSuffix(err.Error(), `; resolution errors: [role.rbac.authorization.k8s.io "ghost" not found]`) {
		t.Errorf("error with a dangling binding = %v, want the resolution error", err)
	}
	if err := ConfirmNoEscalation(context.Background(), r, nil); err == nil || err.Error() != "no user on request" {
		t.Errorf("without a user: %v", err)
	}
}

func TestEscalationAllowed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		groups []string
		want   bool
	}{
		{[]string{user.SystemPrivilegedGroup, user.AllAuthenticated}, true},
		{[]string{user.AllAuthenticated}, false},
	} {
		ctx := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "x", Groups: tt.groups})
		if got := EscalationAllowed(ctx); got != tt.want {
			t.Errorf("EscalationAllowed(groups %v) = %v, want %v", tt.groups, got, tt.want)
		}
	}
}
