// Package ingressclass is the registry of networking.k8s.io/v1
// IngressClasses, fakecluster's
// k8s.io/kubernetes/pkg/registry/networking/ingressclass: which controller
// implements a class of Ingresses, an optional reference to its
// parameters, and the annotation that makes a class the cluster's default.
// No Ingress controller runs here; the objects are stored and checked as
// kube-apiserver does, so that manifests and charts that ship one apply.
package ingressclass
