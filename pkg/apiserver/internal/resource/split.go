package resource

import (
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// NewStatusSplit builds the spec/status split of a type from two accessors:
// status returns a pointer to the object's status, rest copies everything
// the status subresource must not change (spec and the like) from one object
// to another. apiVersion names the served version for server-side apply;
// resetOnCreate clears the status a client sends with a new object.
func NewStatusSplit[T runtime.Object, S any](apiVersion string, status func(T) *S, rest func(to, from T), resetOnCreate bool) *StatusSplit {
	split := &StatusSplit{
		CopyStatus: func(to, from runtime.Object) { *status(to.(T)) = *status(from.(T)) },
		CopySpec:   func(to, from runtime.Object) { rest(to.(T), from.(T)) },
		ResetFields: map[fieldpath.APIVersion]*fieldpath.Set{
			fieldpath.APIVersion(apiVersion): fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
		},
		StatusResetFields: map[fieldpath.APIVersion]*fieldpath.Set{
			fieldpath.APIVersion(apiVersion): fieldpath.NewSet(fieldpath.MakePathOrDie("spec")),
		},
	}
	if resetOnCreate {
		split.ResetStatus = func(obj runtime.Object) {
			var zero S
			*status(obj.(T)) = zero
		}
	}
	return split
}
