// Package persistentvolume is the registry of core/v1 PersistentVolumes,
// fakecluster's k8s.io/kubernetes/pkg/registry/core/persistentvolume: a
// piece of storage in the cluster, defaulted, validated and printed as
// kube-apiserver does. No volume plugin runs here; nothing is mounted,
// recycled or deleted on disk.
package persistentvolume
