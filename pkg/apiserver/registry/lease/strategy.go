package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the leases resource as kube-apiserver serves it.
func definition(t *tables.Convertors) resource.Definition {
	return resource.Definition{
		Resource: coordinationv1.SchemeGroupVersion.WithResource("leases"), Singular: "lease", Namespaced: true,
		New: func() runtime.Object { return &coordinationv1.Lease{} }, NewList: func() runtime.Object { return &coordinationv1.LeaseList{} },
		CreateOnUpdate: true, Table: table(t),
	}
}
