package priorityclass

import (
	"time"

	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of priority classes: NAME VALUE
// GLOBAL-DEFAULT AGE PREEMPTIONPOLICY, as upstream's printPriorityClass.
func table(t *tables.Convertors) tables.Convertor {
	doc := schedulingv1.PriorityClass{}.SwaggerDoc()
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Value", Type: "integer", Description: doc["value"]},
		{Name: "Global-Default", Type: "boolean", Description: doc["globalDefault"]},
		tables.AgeColumn(),
		{Name: "PreemptionPolicy", Type: "string", Description: doc["preemptionPolicy"]},
	}
	return tables.NewConvertor[*schedulingv1.PriorityClassList](t, columns, func(c *schedulingv1.PriorityClass, now time.Time) []any {
		policy := ""
		if c.PreemptionPolicy != nil {
			policy = string(*c.PreemptionPolicy)
		}
		return []any{c.Name, int64(c.Value), c.GlobalDefault, tables.Age(c.CreationTimestamp, now), policy}
	})
}
