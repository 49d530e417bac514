package clusterrole

import (
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	r := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:discovery",
		CreationTimestamp: metav1.NewTime(time.Date(2026, 3, 1, 10, 4, 5, 0, time.FixedZone("CET", 3600)))}}
	tablestest.Golden{Name: "clusterroles", Table: table}.Check(t, []tablestest.Case{
		{Name: "created at, in UTC", Obj: r},
		{Name: "list", Obj: &rbacv1.ClusterRoleList{Items: []rbacv1.ClusterRole{*r}}},
	})
}
