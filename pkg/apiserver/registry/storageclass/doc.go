// Package storageclass is the registry of storage.k8s.io/v1
// StorageClasses, fakecluster's
// k8s.io/kubernetes/pkg/registry/storage/storageclass: which provisioner
// makes a class of volumes, with what parameters and reclaim policy, and
// the annotation that makes a class the cluster's default. No provisioner
// runs here; the objects are stored and checked as kube-apiserver does.
package storageclass
