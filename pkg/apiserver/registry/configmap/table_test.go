package configmap

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	cm := &corev1.ConfigMap{
		ObjectMeta: tablestest.ObjectMeta("settings", 12*time.Minute),
		Data:       map[string]string{"a": "1", "b": "2"},
		BinaryData: map[string][]byte{"c": {0}},
	}
	empty := &corev1.ConfigMap{ObjectMeta: tablestest.ObjectMeta("empty", 7*time.Second)}
	tablestest.Golden{Name: "configmaps", Table: table}.Check(t, []tablestest.Case{
		{Name: "text and binary keys count together", Obj: cm},
		{Name: "no data", Obj: empty},
		{Name: "list", Obj: &corev1.ConfigMapList{Items: []corev1.ConfigMap{*cm, *empty}}},
	})
}
