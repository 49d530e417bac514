package limitrange

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	lr := &corev1.LimitRange{ObjectMeta: tablestest.ObjectMeta("defaults", 26*time.Hour)}
	tablestest.Golden{Name: "limitranges", Table: table}.Check(t, []tablestest.Case{
		{Name: "absolute creation time", Obj: lr},
		{Name: "list", Obj: &corev1.LimitRangeList{ListMeta: metav1.ListMeta{ResourceVersion: "12"}, Items: []corev1.LimitRange{*lr}}},
	})
}
