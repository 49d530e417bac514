// Package namespace is the namespace lifecycle controller: it empties a
// namespace that is being deleted and then finalizes it, as
// kube-controller-manager's pkg/controller/namespace does; it does not
// create, default or admit namespaces, which is the API server's job.
package namespace
