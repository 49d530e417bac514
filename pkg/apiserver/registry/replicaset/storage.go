package replicaset

import "github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"

// NewStorage returns the storage of replicasets, replicasets/status and
// replicasets/scale.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(definition(), opts)
}
