// Package pvprotection is kube-controller-manager's
// persistentvolume-protection-controller, written over client-go from
// upstream's behaviour: it keeps the kubernetes.io/pv-protection finalizer
// on every PersistentVolume and removes it from a volume being deleted
// once the volume is not Bound to a claim. It does not delete volumes.
package pvprotection
