package priorityclass

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	system := SystemClasses()[1]
	system.CreationTimestamp = tablestest.Ago(7 * time.Second)
	def := &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: "normal", CreationTimestamp: tablestest.Ago(3 * time.Hour)},
		Value:      100, GlobalDefault: true, PreemptionPolicy: ptr.To(corev1.PreemptNever),
	}
	tablestest.Golden{Name: "priorityclasses", Table: table}.Check(t, []tablestest.Case{
		{Name: "system class", Obj: system},
		{Name: "global default that never preempts", Obj: def},
		{Name: "list", Obj: &schedulingv1.PriorityClassList{ListMeta: metav1.ListMeta{ResourceVersion: "3"}, Items: []schedulingv1.PriorityClass{*system, *def}}},
	})
}
