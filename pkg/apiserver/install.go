package apiserver

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry"
)

// resourcesByGroupVersion builds the storage of every served resource and
// teaches the scheme what each needs to decode its requests (field
// selectors, defaulting, conversions, subresource options).
func resourcesByGroupVersion(scheme *runtime.Scheme, cfg registry.Config) (map[schema.GroupVersion]map[string]rest.Storage, error) {
	stores, err := registry.NewStorage(cfg)
	if err != nil {
		return nil, err
	}
	groups := map[schema.GroupVersion]map[string]rest.Storage{}
	for _, storage := range stores {
		if err := storage.AddToScheme(scheme); err != nil {
			return nil, err
		}
		gv := storage.GroupVersion()
		if groups[gv] == nil {
			groups[gv] = map[string]rest.Storage{}
		}
		for path, s := range storage.Map() {
			groups[gv][path] = s
		}
	}
	return groups, nil
}
