package resourcequota

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	q := &corev1.ResourceQuota{
		ObjectMeta: tablestest.ObjectMeta("compute", 2*time.Hour),
		Status: corev1.ResourceQuotaStatus{
			Hard: corev1.ResourceList{
				"pods": resource.MustParse("10"), "requests.cpu": resource.MustParse("4"),
				"limits.memory": resource.MustParse("8Gi"), "limits.cpu": resource.MustParse("8"),
			},
			Used: corev1.ResourceList{"pods": resource.MustParse("3"), "requests.cpu": resource.MustParse("1500m"), "limits.memory": resource.MustParse("1Gi")},
		},
	}
	empty := &corev1.ResourceQuota{ObjectMeta: tablestest.ObjectMeta("new", 2*time.Second)}
	tablestest.Golden{Name: "resourcequotas", Table: table}.Check(t, []tablestest.Case{
		{Name: "requests and limits", Obj: q},
		{Name: "not yet computed", Obj: empty},
		{Name: "list", Obj: &corev1.ResourceQuotaList{Items: []corev1.ResourceQuota{*q}}},
	})
}
