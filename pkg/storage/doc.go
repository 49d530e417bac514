// Package storage keeps Kubernetes API objects in one embedded bbolt file and
// serves them through k8s.io/apiserver's storage.Interface, so the generic
// registry can trust it the way kube-apiserver trusts etcd.
//
// It is not an API server and knows nothing of resources beyond the codec,
// key prefix and object constructors each Store is given. One DB holds every
// resource and one global revision, which is the resourceVersion clients see.
// The DB keeps a revision-keyed history beside the latest values (MVCC), so
// paged lists are snapshot-consistent, exact-resourceVersion reads of the
// recent past work, and watches resume from a resourceVersion after a restart.
package storage
