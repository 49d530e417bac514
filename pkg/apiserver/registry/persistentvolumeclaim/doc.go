// Package persistentvolumeclaim is the registry of core/v1
// PersistentVolumeClaims, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim: a request for
// storage, defaulted, validated and printed as kube-apiserver does. It does
// not bind claims to volumes or provision them; a controller would.
package persistentvolumeclaim
