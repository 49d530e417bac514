// Package pod is the registry of core/v1 Pods, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/pod: the pods resource and its
// subresources (status, binding and the legacy bindings, eviction,
// ephemeralcontainers, proxy, and log, exec, attach and portforward, which
// are proxied to the pod's kubelet), with the defaulting and validation of
// kube-apiserver v1.37 (SetObjectDefaults_Pod, ValidatePodCreate and
// ValidatePodUpdate) written over k8s.io/api/core/v1 types, returning
// upstream's field paths and error texts.
//
// Metadata (names, labels, annotations) is validated by internal/resource,
// admission (service accounts, node taints) is pkg/apiserver's, and every
// feature gate is fixed at its v1.37 default (see the comments where one
// matters). The kubectl get columns (table.go) follow kube-apiserver's pod
// printer: READY, STATUS and RESTARTS summarize the container states.
package pod
