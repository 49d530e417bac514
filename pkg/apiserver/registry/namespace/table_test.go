package namespace

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	active := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default", CreationTimestamp: tablestest.Ago(400 * 24 * time.Hour)}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
	terminating := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "old", CreationTimestamp: tablestest.Ago(36 * time.Hour)}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	tablestest.Golden{Name: "namespaces", Table: table}.Check(t, []tablestest.Case{
		{Name: "active", Obj: active},
		{Name: "terminating", Obj: terminating},
		{Name: "list", Obj: &corev1.NamespaceList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}, Items: []corev1.Namespace{*active, *terminating}}},
	})
}
