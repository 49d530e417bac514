package limitrange

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of limit ranges. kube-apiserver has no printer
// for them and falls back to the apiserver's default table, NAME and CREATED AT (an
// absolute RFC 3339 time in UTC), so this does too.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Created At", Type: "date", Description: "When the object was created."},
	}
	return tables.NewConvertor[*corev1.LimitRangeList](t, columns, func(lr *corev1.LimitRange, _ time.Time) []any {
		return []any{lr.Name, lr.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
}
