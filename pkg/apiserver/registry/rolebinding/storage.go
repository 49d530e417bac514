package rolebinding

import (
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/rbac"
)

// NewStorage returns the storage of rolebindings, whose writes g checks for
// escalation.
func NewStorage(opts resource.Options, g *rbac.Guard) (*resource.Storage, error) {
	return resource.NewStorage(definition(g), opts)
}
