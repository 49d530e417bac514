package deployment

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of deployments: NAME READY
// UP-TO-DATE AVAILABLE AGE [CONTAINERS IMAGES SELECTOR], READY being ready
// out of desired replicas.
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Ready", Type: "string", Description: "Ready replicas out of those the spec asks for."},
		{Name: "Up-to-date", Type: "integer", Description: "Replicas running the latest pod template."},
		{Name: "Available", Type: "integer", Description: "Replicas ready for at least minReadySeconds."},
		tables.AgeColumn(),
	}, workload.WideColumns()...)
	return tables.NewConvertor[*appsv1.DeploymentList](t, columns, func(d *appsv1.Deployment, now time.Time) []any {
		var desired int32
		if d.Spec.Replicas != nil {
			desired = *d.Spec.Replicas
		}
		return append([]any{
			d.Name,
			fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desired),
			int64(d.Status.UpdatedReplicas),
			int64(d.Status.AvailableReplicas),
			tables.Age(d.CreationTimestamp, now),
		}, workload.WideCells(&d.Spec.Template.Spec, d.Spec.Selector)...)
	})
}
