package node

import (
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// NewStorage returns the storage of nodes, nodes/status and nodes/proxy,
// which reaches each node's kubelet through kubelet.
func NewStorage(opts resource.Options, kubelet kubeletclient.Connection) (*resource.Storage, error) {
	s, err := resource.NewStorage(definition(), opts)
	if err != nil {
		return nil, err
	}
	s.Extra = map[string]rest.Storage{
		"nodes/proxy": newProxy(kubeletclient.NewLocator(s.REST.Store, kubelet)),
	}
	return s, nil
}
