package namespace

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of namespaces: NAME STATUS AGE.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Status", Type: "string", Description: "Phase of the namespace: Active or Terminating."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(ns *corev1.Namespace, now time.Time) []any {
		return []any{ns.Name, string(ns.Status.Phase), tables.Age(ns.CreationTimestamp, now)}
	}, func(l *corev1.NamespaceList) []*corev1.Namespace { return tables.Pointers(l.Items) })
}
