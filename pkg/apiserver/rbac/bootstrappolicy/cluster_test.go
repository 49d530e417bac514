package bootstrappolicy_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/fakecluster/fakecluster/pkg/apiserver/rbac/bootstrappolicy"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// served reads the cluster's RBAC objects as the reference recorded them:
// server-set metadata dropped.
func served(t *testing.T, client kubernetes.Interface) *bootstrappolicy.Policy {
	t.Helper()
	ctx := t.Context()
	p := &bootstrappolicy.Policy{}
	crs, err := client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range crs.Items {
		p.ClusterRoles = append(p.ClusterRoles, rbacv1.ClusterRole{ObjectMeta: bootstrappolicy.Meta(r.ObjectMeta), Rules: r.Rules, AggregationRule: r.AggregationRule})
	}
	crbs, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		p.ClusterRoleBindings = append(p.ClusterRoleBindings, rbacv1.ClusterRoleBinding{ObjectMeta: bootstrappolicy.Meta(b.ObjectMeta), RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	roles, err := client.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Items {
		p.Roles = append(p.Roles, rbacv1.Role{ObjectMeta: bootstrappolicy.Meta(r.ObjectMeta), Rules: r.Rules})
	}
	rbs, err := client.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rbs.Items {
		p.RoleBindings = append(p.RoleBindings, rbacv1.RoleBinding{ObjectMeta: bootstrappolicy.Meta(b.ObjectMeta), RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	// Lists come sorted by key (namespace, then name), as kubectl's did.
	sort.SliceStable(p.Roles, func(i, j int) bool {
		return p.Roles[i].Namespace+"/"+p.Roles[i].Name < p.Roles[j].Namespace+"/"+p.Roles[j].Name
	})
	sort.SliceStable(p.RoleBindings, func(i, j int) bool {
		return p.RoleBindings[i].Namespace+"/"+p.RoleBindings[i].Name < p.RoleBindings[j].Namespace+"/"+p.RoleBindings[j].Name
	})
	return p
}

// TestServedPolicyIsReference checks that a new cluster serves exactly the
// reference's RBAC objects (names, labels, annotations, rules, aggregation
// rules, role refs, subjects), the aggregated roles' rules aside, which the
// aggregation controller fills in (its own test compares them).
func TestServedPolicyIsReference(t *testing.T) {
	t.Parallel()
	want := bootstrappolicy.ReferencePolicy(t)
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	if diff := cmp.Diff(want, served(t, client)); diff != "" {
		t.Errorf("served policy (-reference +served):\n%s", diff)
	}
}

// TestReconcileAtRestart checks kube-apiserver's reconciliation at start:
// a deleted bootstrap role comes back, rules removed from a role come
// back, and a role annotated autoupdate "false" keeps its user's change.
func TestReconcileAtRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := clustertest.StartAPI(t, cluster.Options{DataDir: dir})
	client := clustertest.Client(t, first)
	ctx := t.Context()
	roles := client.RbacV1().ClusterRoles()
	if err := roles.Delete(ctx, "system:basic-user", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	trimmed, err := roles.Get(ctx, "system:discovery", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	trimmed.Rules = trimmed.Rules[:0]
	if _, err := roles.Update(ctx, trimmed, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	protected, err := roles.Get(ctx, "system:public-info-viewer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	protected.Annotations[rbacv1.AutoUpdateAnnotationKey] = "false"
	protected.Rules = []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}
	if _, err := roles.Update(ctx, protected, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second := clustertest.StartAPI(t, cluster.Options{DataDir: dir})
	client = clustertest.Client(t, second)
	roles = client.RbacV1().ClusterRoles()
	want := map[string]rbacv1.ClusterRole{}
	p, err := bootstrappolicy.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.ClusterRoles {
		want[r.Name] = r
	}
	for _, name := range []string{"system:basic-user", "system:discovery"} {
		clustertest.Poll(t, 10*time.Second, func() error {
			got, err := roles.Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("%s not recreated", name)
			}
			if err != nil {
				return err
			}
			// Missing rules come back broken down, one URL or resource
			// and verb each, as kube-apiserver's reconciliation adds them.
			if covered, missing := validation.Covers(got.Rules, want[name].Rules); !covered {
				return fmt.Errorf("%s after restart lacks %v", name, missing)
			}
			return nil
		})
	}
	got, err := roles.Get(ctx, "system:public-info-viewer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(protected.Rules, got.Rules); diff != "" || got.Annotations[rbacv1.AutoUpdateAnnotationKey] != "false" {
		t.Errorf("protected role after restart: annotations %v, rules (-user's +got):\n%s", got.Annotations, diff)
	}
}
