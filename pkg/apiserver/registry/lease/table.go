package lease

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of leases: NAME HOLDER AGE.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Holder", Type: "string", Description: "Identity of the current holder of the lease."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(l *coordinationv1.Lease, now time.Time) []any {
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{l.Name, holder, tables.Age(l.CreationTimestamp, now)}
	}, func(l *coordinationv1.LeaseList) []*coordinationv1.Lease { return tables.Pointers(l.Items) })
}
