package statefulset

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of stateful sets: NAME READY AGE
// [CONTAINERS IMAGES], READY being ready out of desired replicas. Unlike
// the other workloads' wide tables, upstream's has no SELECTOR.
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Ready", Type: "string", Description: "Ready replicas out of those the spec asks for."},
		tables.AgeColumn(),
	}, workload.TemplateColumns()...)
	return tables.NewConvertor[*appsv1.StatefulSetList](t, columns, func(s *appsv1.StatefulSet, now time.Time) []any {
		return append([]any{
			s.Name,
			fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, ptr.Deref(s.Spec.Replicas, 0)),
			tables.Age(s.CreationTimestamp, now),
		}, workload.TemplateCells(&s.Spec.Template.Spec)...)
	})
}
