// Package pvcprotection is kube-controller-manager's
// persistentvolumeclaim-protection-controller, written over client-go from
// upstream's behaviour: it keeps the kubernetes.io/pvc-protection finalizer
// on every PersistentVolumeClaim and removes it from a claim being deleted
// once no scheduled pod uses it (checked against the informer's pods, then
// a live list), so that a claim in use is not deleted under its pods. It
// does not delete claims, nor pods.
package pvcprotection
