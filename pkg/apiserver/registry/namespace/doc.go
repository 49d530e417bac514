// Package namespace is the registry of core/v1 Namespaces, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/namespace: the kubernetes finalizer
// and the name label on every namespace, the two-step deletion that waits
// for the namespace controller to empty it, and namespaces/finalize, the
// only way to change spec.finalizers.
package namespace
