package controllerrevision

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	owned := func(name string, age time.Duration, n int64, refs ...metav1.OwnerReference) *appsv1.ControllerRevision {
		meta := tablestest.ObjectMeta(name, age)
		meta.OwnerReferences = refs
		return &appsv1.ControllerRevision{ObjectMeta: meta, Data: runtime.RawExtension{Raw: []byte(`{}`)}, Revision: n}
	}
	sts := owned("db-7c9f8d6b5", 5*time.Minute, 2,
		metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db", UID: "1", Controller: ptr.To(true)})
	ds := owned("agent-5d4b9c7f8", 26*time.Hour, 1,
		metav1.OwnerReference{APIVersion: "v1", Kind: "Namespace", Name: "other", UID: "2"},
		metav1.OwnerReference{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "agent", UID: "3", Controller: ptr.To(true)})
	core := owned("core-1", 30*time.Second, 3,
		metav1.OwnerReference{APIVersion: "v1", Kind: "ReplicationController", Name: "web", UID: "4", Controller: ptr.To(true)})
	orphan := owned("orphan-1", 90*time.Second, 1,
		metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "gone", UID: "5"})
	tablestest.Golden{Name: "controllerrevisions", Table: table}.Check(t, []tablestest.Case{
		{Name: "of a stateful set", Obj: sts},
		{Name: "of a daemon set, after another owner", Obj: ds},
		{Name: "of a core-group controller", Obj: core},
		{Name: "owner that is no controller", Obj: orphan},
		{Name: "list", Obj: &appsv1.ControllerRevisionList{ListMeta: metav1.ListMeta{ResourceVersion: "20"}, Items: []appsv1.ControllerRevision{*sts, *ds}}},
	})
}
