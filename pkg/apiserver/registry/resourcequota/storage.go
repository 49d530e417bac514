package resourcequota

import "github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"

// NewStorage returns the storage of resourcequotas and resourcequotas/status.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(definition(), opts)
}
