package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ephemeralContainersStrategy is pods/ephemeralcontainers (kubectl debug):
// an update that may only add ephemeral containers.
type ephemeralContainersStrategy struct{ rest.RESTUpdateStrategy }

func (ephemeralContainersStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	added := pod.Spec.EphemeralContainers
	*pod = *oldPod.DeepCopy()
	pod.Spec.EphemeralContainers = added
}

func (s ephemeralContainersStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	// The pod's update rules hold for the rest of it: they compare it with
	// the old pod as if that had the new ephemeral containers already, and
	// validate those with the rest of the new pod.
	oldWithNew := old.(*corev1.Pod).DeepCopy()
	oldWithNew.Spec.EphemeralContainers = obj.(*corev1.Pod).Spec.EphemeralContainers
	errs := s.RESTUpdateStrategy.ValidateUpdate(ctx, obj, oldWithNew)
	path := field.NewPath("spec", "ephemeralContainers")
	current := map[string]corev1.EphemeralContainer{}
	for _, c := range obj.(*corev1.Pod).Spec.EphemeralContainers {
		current[c.Name] = c
	}
	for _, c := range old.(*corev1.Pod).Spec.EphemeralContainers {
		now, ok := current[c.Name]
		switch {
		case !ok:
			errs = append(errs, field.Forbidden(path, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", c.Name)))
		case !apiequality.Semantic.DeepEqual(c, now):
			errs = append(errs, field.Forbidden(path, fmt.Sprintf("existing ephemeral containers %q may not be changed\n", c.Name)))
		}
	}
	return errs
}
