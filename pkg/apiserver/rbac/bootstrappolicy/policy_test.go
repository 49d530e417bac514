package bootstrappolicy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var update = flag.Bool("update", false, "rewrite policy.json from testdata/")

// reference is what testdata/ recorded, decoded.
type reference struct {
	clusterRoles        []rbacv1.ClusterRole
	clusterRoleBindings []rbacv1.ClusterRoleBinding
	roles               []rbacv1.Role
	roleBindings        []rbacv1.RoleBinding
}

// readReference decodes the recorded lists; roles-rolebindings.json mixes
// both kinds.
func readReference(t testing.TB) reference {
	t.Helper()
	var ref reference
	read := func(name string) []json.RawMessage {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Items []json.RawMessage }
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(list.Items) == 0 {
			t.Fatalf("%s: no items", name)
		}
		return list.Items
	}
	decode := func(raw json.RawMessage, into any) {
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range read("clusterroles.json") {
		var r rbacv1.ClusterRole
		decode(raw, &r)
		ref.clusterRoles = append(ref.clusterRoles, r)
	}
	for _, raw := range read("clusterrolebindings.json") {
		var b rbacv1.ClusterRoleBinding
		decode(raw, &b)
		ref.clusterRoleBindings = append(ref.clusterRoleBindings, b)
	}
	for _, raw := range read("roles-rolebindings.json") {
		var tm metav1.TypeMeta
		decode(raw, &tm)
		switch tm.Kind {
		case "Role":
			var r rbacv1.Role
			decode(raw, &r)
			ref.roles = append(ref.roles, r)
		case "RoleBinding":
			var b rbacv1.RoleBinding
			decode(raw, &b)
			ref.roleBindings = append(ref.roleBindings, b)
		default:
			t.Fatalf("roles-rolebindings.json: unexpected kind %q", tm.Kind)
		}
	}
	return ref
}

// meta keeps what the policy states of an object's metadata.
func meta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Annotations: m.Annotations}
}

// policyFrom is the bootstrap policy ref implies: every object as
// recorded, less server-set metadata, and the aggregated ClusterRoles
// without the rules the aggregation controller gave them.
func policyFrom(ref reference) *Policy {
	p := &Policy{}
	for _, r := range ref.clusterRoles {
		out := rbacv1.ClusterRole{ObjectMeta: meta(r.ObjectMeta), Rules: r.Rules, AggregationRule: r.AggregationRule}
		if r.AggregationRule != nil {
			out.Rules = nil
		}
		p.ClusterRoles = append(p.ClusterRoles, out)
	}
	for _, b := range ref.clusterRoleBindings {
		p.ClusterRoleBindings = append(p.ClusterRoleBindings, rbacv1.ClusterRoleBinding{ObjectMeta: meta(b.ObjectMeta), RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	for _, r := range ref.roles {
		p.Roles = append(p.Roles, rbacv1.Role{ObjectMeta: meta(r.ObjectMeta), Rules: r.Rules})
	}
	for _, b := range ref.roleBindings {
		p.RoleBindings = append(p.RoleBindings, rbacv1.RoleBinding{ObjectMeta: meta(b.ObjectMeta), RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	return p
}

// TestPolicyFromReference checks that policy.json is what testdata/
// implies (-update rewrites it) and that it holds what the brief of
// kube-apiserver's policy names.
func TestPolicyFromReference(t *testing.T) {
	want := policyFrom(readReference(t))
	data, err := json.MarshalIndent(want, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile("policy.json", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(data, policyJSON) {
		t.Errorf("policy.json is not what testdata/ implies; run go test -run TestPolicyFromReference -update")
	}
	got, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() (-want +got):\n%s", diff)
	}
	if len(got.ClusterRoles) != 73 || len(got.ClusterRoleBindings) != 54 || len(got.Roles) != 7 || len(got.RoleBindings) != 7 {
		t.Errorf("policy has %d ClusterRoles, %d ClusterRoleBindings, %d Roles, %d RoleBindings; want 73, 54, 7, 7",
			len(got.ClusterRoles), len(got.ClusterRoleBindings), len(got.Roles), len(got.RoleBindings))
	}
	names := map[string]*rbacv1.ClusterRole{}
	for i := range got.ClusterRoles {
		names[got.ClusterRoles[i].Name] = &got.ClusterRoles[i]
	}
	for _, name := range []string{"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
		"system:public-info-viewer", "system:node", "system:kube-scheduler", "system:kube-controller-manager",
		"system:controller:deployment-controller", "system:aggregate-to-view"} {
		if names[name] == nil {
			t.Errorf("no ClusterRole %q", name)
		}
	}
	if r := names["admin"]; r != nil && (r.AggregationRule == nil || len(r.Rules) != 0) {
		t.Errorf("admin = %+v, want an aggregationRule and no rules", r)
	}
}
