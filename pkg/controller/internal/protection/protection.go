package protection

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Step is what a protection controller does next with an object.
type Step int

const (
	// Nothing: a live object with the finalizer, or a deleting one
	// without it.
	Nothing Step = iota
	// Add the finalizer to a live object that lacks it.
	Add
	// Release: a deleting object still has the finalizer; remove it
	// once the object is no longer in use.
	Release
)

// Next is the step obj needs for finalizer.
func Next(obj metav1.Object, finalizer string) Step {
	has := slices.Contains(obj.GetFinalizers(), finalizer)
	switch {
	case obj.GetDeletionTimestamp() == nil && !has:
		return Add
	case obj.GetDeletionTimestamp() != nil && has:
		return Release
	}
	return Nothing
}

// Toggle adds finalizer to obj's finalizers for Add, and takes it off for
// Release; obj should be a copy of the cached object.
func Toggle(obj metav1.Object, finalizer string, step Step) {
	switch step {
	case Add:
		obj.SetFinalizers(append(obj.GetFinalizers(), finalizer))
	case Release:
		obj.SetFinalizers(slices.DeleteFunc(obj.GetFinalizers(), func(f string) bool { return f == finalizer }))
	}
}
