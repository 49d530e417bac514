package secret

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of secrets: NAME TYPE DATA AGE. DATA counts the
// keys of data only: stringData never reaches storage.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.SecretList](t, []metav1.TableColumnDefinition{
		{Name: "Type", Type: "string", Description: "The secret's type, such as Opaque."},
		{Name: "Data", Type: "string", Description: "Number of keys."},
	}, func(s *corev1.Secret) []any { return []any{string(s.Type), int64(len(s.Data))} })
}
