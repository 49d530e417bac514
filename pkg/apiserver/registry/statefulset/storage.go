package statefulset

import "github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"

// NewStorage returns the storage of statefulsets, statefulsets/status and
// statefulsets/scale.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(definition(), opts)
}
