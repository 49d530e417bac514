package service

import (
	"context"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// Allocator takes and gives back what a Service holds outside its own
// object (cluster IPs, node ports), as the services storage's hooks; package
// alloc's Allocators is the one the API server uses.
type Allocator interface {
	// BeginCreate and BeginUpdate take what a new or changed Service asks
	// for, and fill in what it leaves to the server.
	BeginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error)
	BeginUpdate(ctx context.Context, obj, old runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error)
	// AfterDelete gives back what a deleted Service held.
	AfterDelete(obj runtime.Object, options *metav1.DeleteOptions)
	// Decorate makes Services and lists on their way out read as if
	// stored with the fields they were stored before (DefaultOnRead).
	Decorate(obj runtime.Object)
}

// NewStorage returns the storage of services, services/status and
// services/proxy. allocator, if not nil, allocates Services' cluster IPs
// and node ports; services/proxy picks a backend from the Service's
// endpoints and dials it through podTransport.
func NewStorage(opts resource.Options, allocator Allocator, endpoints rest.Getter, podTransport http.RoundTripper) (*resource.Storage, error) {
	s, err := resource.NewStorage(definition(allocator), opts)
	if err != nil {
		return nil, err
	}
	s.Extra = map[string]rest.Storage{
		"services/proxy": newProxy(s.REST.Store, endpoints, podTransport),
	}
	return s, nil
}
