package configmap

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of config maps: NAME DATA AGE, where DATA counts
// text and binary keys together.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Data", Type: "string", Description: "Number of keys, text and binary."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(cm *corev1.ConfigMap, now time.Time) []any {
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), tables.Age(cm.CreationTimestamp, now)}
	}, func(l *corev1.ConfigMapList) []*corev1.ConfigMap { return tables.Pointers(l.Items) })
}
