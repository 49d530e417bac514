// Package localpath is the rancher.io/local-path provisioner kind runs
// (rancher/local-path-provisioner over sig-storage-lib-external-provisioner),
// written over client-go from their behaviour: at start it makes kind's
// default StorageClass "standard" if there is none; for a claim the
// persistentvolume-binder-controller handed to rancher.io/local-path it
// makes a hostPath PersistentVolume "pvc-<claim uid>" at
// /var/local-path-provisioner/pvc-<uid>_<namespace>_<claim> on the node
// the scheduler selected, pinned there by node affinity, with the events
// the provisioner library records; and it deletes such a volume once it
// is Released with reclaim policy Delete. It runs no helper pods: the
// volume's DirectoryOrCreate makes the directory on the node when a pod
// mounts it, and the directory's data is left behind when the volume goes.
package localpath
