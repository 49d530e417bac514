// Package apiserver is fakecluster's Kubernetes API server: k8s.io/apiserver's
// generic server serving the versioned k8s.io/api types from pkg/storage,
// with kube-apiserver v1.37's discovery, defaulting, validation, tables and
// errors, so kubectl and client-go cannot tell it from the real one.
//
// It is not a controller manager or a kubelet: it stores and validates
// objects, and reaches kubelets only the way kube-apiserver does, over their
// HTTP API. Resource-specific behaviour lives in pkg/apiserver/registry, one
// folder per resource.
package apiserver
