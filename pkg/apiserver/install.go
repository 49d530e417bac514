package apiserver

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service/alloc"
	"github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// resourcesByGroupVersion builds the storage of every served resource and
// teaches the scheme their field selectors.
func resourcesByGroupVersion(scheme *runtime.Scheme, opts restOptions, conns registry.Connections, tokens *serviceaccount.Issuer, services *alloc.Allocators) (map[schema.GroupVersion]map[string]rest.Storage, error) {
	groups := map[schema.GroupVersion]map[string]rest.Storage{}
	for _, served := range registry.All(scheme, tables.New(nil), conns, tokens, services) {
		if err := addFieldLabels(scheme, served); err != nil {
			return nil, err
		}
		storage, err := resource.NewStorage(served.Definition, opts)
		if err != nil {
			return nil, err
		}
		if groups[served.GroupVersion] == nil {
			groups[served.GroupVersion] = map[string]rest.Storage{}
		}
		for path, s := range storage.Map() {
			groups[served.GroupVersion][path] = s
		}
	}
	return groups, nil
}

// addFieldLabels lets field selectors name the resource's own fields; by
// default a scheme accepts only metadata.name and metadata.namespace.
func addFieldLabels(scheme *runtime.Scheme, served registry.Served) error {
	if len(served.FieldLabels) == 0 {
		return nil
	}
	kinds, _, err := scheme.ObjectKinds(served.Definition.New())
	if err != nil {
		return err
	}
	labels := served.FieldLabels
	return scheme.AddFieldLabelConversionFunc(served.GroupVersion.WithKind(kinds[0].Kind), func(label, value string) (string, string, error) {
		if label == "metadata.name" || label == "metadata.namespace" || slices.Contains(labels, label) {
			return label, value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	})
}
