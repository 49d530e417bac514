package resource

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/queryparams"
)

// AddToScheme teaches the API server's scheme what decoding the resource
// needs beyond its types: the field selectors it accepts, its defaulting,
// its conversions, and how its subresources read their options from the
// query. Call it once the storage is built, before the resource is
// installed.
func (s *Storage) AddToScheme(scheme *runtime.Scheme) error {
	if err := s.addFieldLabels(scheme); err != nil {
		return err
	}
	if defaults := s.def.Defaults; defaults != nil {
		scheme.AddTypeDefaultingFunc(s.def.New(), func(obj interface{}) { defaults(obj.(runtime.Object)) })
	}
	if s.def.Conversions != nil {
		if err := s.def.Conversions(scheme); err != nil {
			return fmt.Errorf("%s conversions: %w", s.def.Resource.GroupResource(), err)
		}
	}
	return queryparams.AddConversions(scheme, s.queryOptions()...)
}

// addFieldLabels lets field selectors name the resource's own fields; by
// default a scheme accepts only metadata.name and metadata.namespace.
func (s *Storage) addFieldLabels(scheme *runtime.Scheme) error {
	if len(s.def.FieldLabels) == 0 {
		return nil
	}
	kinds, _, err := scheme.ObjectKinds(s.def.New())
	if err != nil {
		return err
	}
	labels := s.def.FieldLabels
	return scheme.AddFieldLabelConversionFunc(s.GroupVersion().WithKind(kinds[0].Kind), func(label, value string) (string, string, error) {
		if label == "metadata.name" || label == "metadata.namespace" || slices.Contains(labels, label) {
			return label, value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	})
}

// queryOptions are the option types the resource's connect and
// get-with-options subresources (pods/exec, pods/log, services/proxy…)
// read from a request's query, one of each type.
func (s *Storage) queryOptions() []runtime.Object {
	storage := s.Map()
	var out []runtime.Object
	seen := map[reflect.Type]bool{}
	for _, path := range slices.Sorted(maps.Keys(storage)) {
		var obj runtime.Object
		switch r := storage[path].(type) {
		case rest.Connecter:
			obj, _, _ = r.NewConnectOptions()
		case rest.GetterWithOptions:
			obj, _, _ = r.NewGetOptions()
		}
		if obj != nil && !seen[reflect.TypeOf(obj)] {
			seen[reflect.TypeOf(obj)] = true
			out = append(out, obj)
		}
	}
	return out
}
