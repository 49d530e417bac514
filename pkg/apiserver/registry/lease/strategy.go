package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the leases resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[coordinationv1.Lease, coordinationv1.LeaseList](resource.Definition{
		Resource: coordinationv1.SchemeGroupVersion.WithResource("leases"), Namespaced: true,
		CreateOnUpdate: true, Table: table,
	})
}
