// Package persistentvolume is kube-controller-manager's
// persistentvolume-binder-controller, written over client-go from
// upstream's behaviour: it binds each PersistentVolumeClaim to a matching
// Available PersistentVolume (capacity, access modes, class, selector,
// volumeMode; a claim's spec.volumeName or a volume's claimRef pre-binds
// them), keeps both sides' phases (Pending, Available, Bound, Released,
// Lost, Failed) and upstream's annotations, asks an external provisioner
// for a volume when none matches (volume.kubernetes.io/storage-provisioner),
// waits for the scheduler's volume.kubernetes.io/selected-node on
// WaitForFirstConsumer claims, and reclaims a volume whose claim is gone
// (Retain keeps it Released; Delete leaves a provisioned volume to its
// provisioner). It records upstream's events, as "persistentvolume-controller".
// It has no in-tree volume plugins: it provisions, deletes and recycles
// nothing itself, and it does not attach, mount or expand volumes.
package persistentvolume
