package tables

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Leases returns the convertor for coordination/v1 Leases: NAME HOLDER AGE.
func (c *Convertors) Leases() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Holder", Type: "string", Description: "Identity of the current holder of the lease."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(l *coordinationv1.Lease, now time.Time) []any {
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{l.Name, holder, age(l.CreationTimestamp, now)}
	}, func(l *coordinationv1.LeaseList) []*coordinationv1.Lease { return pointers(l.Items) })
}
