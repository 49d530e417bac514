package registry

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service/alloc"
	"github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// Served is one resource in one API group version.
type Served struct {
	GroupVersion schema.GroupVersion
	Definition   resource.Definition
	// FieldLabels are the field selector labels the resource accepts besides
	// metadata.name and metadata.namespace.
	FieldLabels []string
}

// All lists every served resource. typer is the API server's scheme; tables
// gives each resource its kubectl get columns; kubelet is how pod logs, exec,
// attach and port-forward reach a pod's node; tokens signs the service
// account tokens of serviceaccounts/token, which is not served if it is nil;
// services allocates Services' cluster IPs and node ports (nil: none are).
func All(typer runtime.ObjectTyper, t *tables.Convertors, conns Connections, tokens *serviceaccount.Issuer, services *alloc.Allocators) []Served {
	var all []Served
	for _, group := range [][]Served{core(t, conns, tokens, services), discovery(t), events(t), coordination(t), networking(t)} {
		for _, s := range group {
			s.Definition.Typer = typer
			all = append(all, s)
		}
	}
	return all
}
