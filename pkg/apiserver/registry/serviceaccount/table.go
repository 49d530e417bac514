package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of service accounts: NAME SECRETS AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.ServiceAccountList](t, []metav1.TableColumnDefinition{
		{Name: "Secrets", Type: "string", Description: "Number of secrets listed on the service account."},
	}, func(sa *corev1.ServiceAccount) []any { return []any{int64(len(sa.Secrets))} })
}
