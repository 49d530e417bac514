package secret

import "github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"

// NewStorage returns the storage of secrets.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(definition(), opts)
}
