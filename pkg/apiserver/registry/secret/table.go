package secret

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of secrets: NAME TYPE DATA AGE. DATA counts the
// keys of data only: stringData never reaches storage.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Type", Type: "string", Description: "The secret's type, such as Opaque."},
		{Name: "Data", Type: "string", Description: "Number of keys."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(s *corev1.Secret, now time.Time) []any {
		return []any{s.Name, string(s.Type), int64(len(s.Data)), tables.Age(s.CreationTimestamp, now)}
	}, func(l *corev1.SecretList) []*corev1.Secret { return tables.Pointers(l.Items) })
}
