package lease

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	held := &coordinationv1.Lease{ObjectMeta: tablestest.ObjectMeta("node-1", 3*time.Hour), Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1")}}
	free := &coordinationv1.Lease{ObjectMeta: tablestest.ObjectMeta("kube-scheduler", 3*time.Hour)}
	tablestest.Golden{Name: "leases", Table: table}.Check(t, []tablestest.Case{
		{Name: "held", Obj: held},
		{Name: "no holder", Obj: free},
		{Name: "list", Obj: &coordinationv1.LeaseList{Items: []coordinationv1.Lease{*held, *free}}},
	})
}
