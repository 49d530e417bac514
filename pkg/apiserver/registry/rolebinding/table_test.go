package rolebinding

import (
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	mixed := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "devs", Namespace: "apps", CreationTimestamp: tablestest.Ago(3 * time.Hour)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "jane"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "joe"},
			{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "devs"},
			{Kind: rbacv1.ServiceAccountKind, Name: "ci", Namespace: "build"},
			{Kind: rbacv1.ServiceAccountKind, Name: "deployer"},
		},
	}
	none := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "empty", Namespace: "apps", CreationTimestamp: tablestest.Ago(20 * time.Second)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
	}
	tablestest.Golden{Name: "rolebindings", Table: table}.Check(t, []tablestest.Case{
		{Name: "every kind of subject; a ServiceAccount without namespace shows /name", Obj: mixed},
		{Name: "no subjects", Obj: none},
		{Name: "list", Obj: &rbacv1.RoleBindingList{ListMeta: metav1.ListMeta{ResourceVersion: "7"}, Items: []rbacv1.RoleBinding{*mixed, *none}}},
	})
}
