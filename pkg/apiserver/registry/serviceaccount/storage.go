package serviceaccount

import (
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	satoken "github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
)

// NewStorage returns the storage of serviceaccounts and, if issuer is not
// nil, serviceaccounts/token, whose tokens issuer signs; pods, secrets and
// nodes are where it finds the objects a token is bound to.
func NewStorage(opts resource.Options, issuer *satoken.Issuer, pods, secrets, nodes rest.Getter) (*resource.Storage, error) {
	s, err := resource.NewStorage(definition(), opts)
	if err != nil {
		return nil, err
	}
	if issuer != nil {
		s.Extra = map[string]rest.Storage{"serviceaccounts/token": &tokenREST{
			serviceAccounts: s.REST.Store, pods: pods, secrets: secrets, nodes: nodes, issuer: issuer}}
	}
	return s, nil
}
