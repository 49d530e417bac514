package serviceaccount

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	def := &corev1.ServiceAccount{ObjectMeta: tablestest.ObjectMeta("default", 30*24*time.Hour)}
	legacy := &corev1.ServiceAccount{ObjectMeta: tablestest.ObjectMeta("legacy", 30*24*time.Hour), Secrets: []corev1.ObjectReference{{Name: "legacy-token"}}}
	tablestest.Golden{Name: "serviceaccounts", Table: table}.Check(t, []tablestest.Case{
		{Name: "no secrets", Obj: def},
		{Name: "one secret", Obj: legacy},
		{Name: "list", Obj: &corev1.ServiceAccountList{Items: []corev1.ServiceAccount{*def, *legacy}}},
	})
}
