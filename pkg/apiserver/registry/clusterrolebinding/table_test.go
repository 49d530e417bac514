package clusterrolebinding

import (
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	admin := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", CreationTimestamp: tablestest.Ago(49 * time.Hour)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:masters"}},
	}
	controller := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "system:controller:job-controller", CreationTimestamp: tablestest.Ago(5 * time.Minute)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:controller:job-controller"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "job-controller", Namespace: "kube-system"}},
	}
	tablestest.Golden{Name: "clusterrolebindings", Table: table}.Check(t, []tablestest.Case{
		{Name: "group", Obj: admin},
		{Name: "service account", Obj: controller},
		{Name: "list", Obj: &rbacv1.ClusterRoleBindingList{Items: []rbacv1.ClusterRoleBinding{*admin, *controller}}},
	})
}
