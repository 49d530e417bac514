package serviceaccount

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of service accounts: NAME SECRETS AGE.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Secrets", Type: "string", Description: "Number of secrets listed on the service account."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(sa *corev1.ServiceAccount, now time.Time) []any {
		return []any{sa.Name, int64(len(sa.Secrets)), tables.Age(sa.CreationTimestamp, now)}
	}, func(l *corev1.ServiceAccountList) []*corev1.ServiceAccount { return tables.Pointers(l.Items) })
}
