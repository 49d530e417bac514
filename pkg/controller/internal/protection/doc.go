// Package protection is what kube-controller-manager's pvc-protection and
// pv-protection controllers share: an object of theirs gets its protection
// finalizer while it lives, and loses it once it is being deleted and no
// longer in use, which each controller decides for its own kind.
package protection
