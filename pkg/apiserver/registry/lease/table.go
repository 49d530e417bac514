package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of leases: NAME HOLDER AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*coordinationv1.LeaseList](t, []metav1.TableColumnDefinition{
		{Name: "Holder", Type: "string", Description: "Identity of the current holder of the lease."},
	}, func(l *coordinationv1.Lease) []any { return []any{ptr.Deref(l.Spec.HolderIdentity, "")} })
}
