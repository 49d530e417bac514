package namespace

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of namespaces: NAME STATUS AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.NamespaceList](t, []metav1.TableColumnDefinition{
		{Name: "Status", Type: "string", Description: "Phase of the namespace: Active or Terminating."},
	}, func(ns *corev1.Namespace) []any { return []any{string(ns.Status.Phase)} })
}
