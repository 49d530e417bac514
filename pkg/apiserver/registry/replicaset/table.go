package replicaset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of replica sets: NAME DESIRED
// CURRENT READY AGE [CONTAINERS IMAGES SELECTOR].
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Desired", Type: "integer", Description: "Replicas the spec asks for."},
		{Name: "Current", Type: "integer", Description: "Replicas that exist, ready or not."},
		{Name: "Ready", Type: "integer", Description: "Replicas whose pods are ready."},
		tables.AgeColumn(),
	}, workload.WideColumns()...)
	return tables.NewConvertor[*appsv1.ReplicaSetList](t, columns, func(rs *appsv1.ReplicaSet, now time.Time) []any {
		var desired int32
		if rs.Spec.Replicas != nil {
			desired = *rs.Spec.Replicas
		}
		return append([]any{
			rs.Name, int64(desired), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
			tables.Age(rs.CreationTimestamp, now),
		}, workload.WideCells(&rs.Spec.Template.Spec, rs.Spec.Selector)...)
	})
}
