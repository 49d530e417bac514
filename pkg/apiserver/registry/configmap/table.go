package configmap

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of config maps: NAME DATA AGE, where DATA counts
// text and binary keys together.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.ConfigMapList](t, []metav1.TableColumnDefinition{
		{Name: "Data", Type: "string", Description: "Number of keys, text and binary."},
	}, func(cm *corev1.ConfigMap) []any { return []any{int64(len(cm.Data) + len(cm.BinaryData))} })
}
