package statefulset

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var podKind = corev1.SchemeGroupVersion.WithKind("Pod")

const (
	retain = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	remove = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
)

// retention is set's persistentVolumeClaimRetentionPolicy, Retain for
// whatever is unset.
func retention(set *appsv1.StatefulSet) appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	p := appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: retain, WhenScaled: retain}
	if s := set.Spec.PersistentVolumeClaimRetentionPolicy; s != nil {
		if s.WhenDeleted != "" {
			p.WhenDeleted = s.WhenDeleted
		}
		if s.WhenScaled != "" {
			p.WhenScaled = s.WhenScaled
		}
	}
	return p
}

// refersTo reports whether ref names obj, of kind gvk, by name (whatever
// the UID).
func refersTo(ref *metav1.OwnerReference, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	return ref.APIVersion == gvk.GroupVersion().String() && ref.Kind == gvk.Kind && ref.Name == obj.GetName()
}

// staleRef reports whether claim's first reference to obj's name and kind
// holds another UID: it was made for an object of that name that is gone
// (a pod not made yet has no UID, so any reference to its name is stale).
func staleRef(claim *corev1.PersistentVolumeClaim, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	for i := range claim.OwnerReferences {
		if ref := &claim.OwnerReferences[i]; refersTo(ref, obj, gvk) {
			return ref.UID != obj.GetUID()
		}
	}
	return false
}

func hasRef(claim *corev1.PersistentVolumeClaim, owner metav1.Object) bool {
	return slices.ContainsFunc(claim.OwnerReferences, func(r metav1.OwnerReference) bool { return r.UID == owner.GetUID() })
}

// foreignController reports whether, under a policy that deletes claims,
// claim is controlled by something other than set and pod, or by an
// earlier object of their names: then the policy leaves it alone.
func foreignController(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	if p := retention(set); p.WhenDeleted == retain && p.WhenScaled == retain {
		return false
	}
	for i := range claim.OwnerReferences {
		ref := &claim.OwnerReferences[i]
		switch {
		case refersTo(ref, set, kind):
			if ref.UID != set.UID {
				return true
			}
		case refersTo(ref, pod, podKind):
			if ref.UID != pod.UID {
				return true
			}
		case ref.Controller != nil && *ref.Controller:
			return true
		}
	}
	return false
}

// uncontrolledRef reports whether set or pod owns claim without being its
// controller.
func uncontrolledRef(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	for _, ref := range claim.OwnerReferences {
		if (ref.UID == set.UID || ref.UID == pod.UID) && (ref.Controller == nil || !*ref.Controller) {
			return true
		}
	}
	return false
}

// wantRefs are the controller references the retention policy puts on
// pod's claims: the set's when claims go with the set (unless the pod is
// scaled down and they go with it), the pod's when claims go with
// scaled-down pods and the pod is one.
func wantRefs(set *appsv1.StatefulSet, pod *corev1.Pod) (toSet, toPod bool) {
	p := retention(set)
	scaledDown := !inRange(pod, set)
	toPod = p.WhenScaled == remove && scaledDown
	toSet = p.WhenDeleted == remove && !toPod
	return toSet, toPod
}

// claimUpToDate reports whether claim's owner references are what set's
// retention policy wants for pod. Claims left by an earlier set or pod of
// the same name, or controlled by something else, count as up to date
// (they are not touched), except that refs of set or pod beside a foreign
// controller must go.
func claimUpToDate(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	if staleRef(claim, set, kind) || staleRef(claim, pod, podKind) {
		return true
	}
	if foreignController(claim, set, pod) {
		return !hasRef(claim, set) && !hasRef(claim, pod)
	}
	if uncontrolledRef(claim, set, pod) {
		return false
	}
	toSet, toPod := wantRefs(set, pod)
	return hasRef(claim, set) == toSet && hasRef(claim, pod) == toPod
}

// setClaimRefs rewrites claim's references to set and pod as the
// retention policy wants them: none beside a foreign controller.
func setClaimRefs(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) {
	foreign := foreignController(claim, set, pod)
	refs := slices.DeleteFunc(slices.Clone(claim.OwnerReferences), func(r metav1.OwnerReference) bool {
		return refersTo(&r, set, kind) || refersTo(&r, pod, podKind)
	})
	if !foreign {
		toSet, toPod := wantRefs(set, pod)
		if toSet {
			refs = append(refs, *metav1.NewControllerRef(set, kind))
		}
		if toPod {
			refs = append(refs, *metav1.NewControllerRef(pod, podKind))
		}
	}
	if len(refs) == 0 {
		refs = nil
	}
	claim.OwnerReferences = refs
}
