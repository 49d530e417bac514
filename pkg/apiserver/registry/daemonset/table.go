package daemonset

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of daemon sets: NAME DESIRED
// CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE [CONTAINERS IMAGES
// SELECTOR], the counts being of nodes, NODE SELECTOR the template's
// nodeSelector ("<none>" if it has none).
func table(t *tables.Convertors) tables.Convertor {
	columns := append([]metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Desired", Type: "integer", Description: "Nodes that should run the daemon pod."},
		{Name: "Current", Type: "integer", Description: "Nodes that run at least one daemon pod and should."},
		{Name: "Ready", Type: "integer", Description: "Nodes that should run the daemon pod and have it ready."},
		{Name: "Up-to-date", Type: "integer", Description: "Nodes that run the daemon pod of the latest template."},
		{Name: "Available", Type: "integer", Description: "Nodes whose daemon pod has been ready for at least minReadySeconds."},
		{Name: "Node Selector", Type: "string", Description: "The labels a node must have to run the daemon pod."},
		tables.AgeColumn(),
	}, workload.WideColumns()...)
	return tables.NewConvertor[*appsv1.DaemonSetList](t, columns, func(ds *appsv1.DaemonSet, now time.Time) []any {
		st := &ds.Status
		return append([]any{
			ds.Name,
			int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady),
			int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable),
			labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
			tables.Age(ds.CreationTimestamp, now),
		}, workload.WideCells(&ds.Spec.Template.Spec, ds.Spec.Selector)...)
	})
}
