// Package limitrange is the registry of core/v1 LimitRanges, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/limitrange: per-namespace defaults
// and bounds of containers', pods' and claims' resources, defaulted and
// validated as kube-apiserver does. Enforcing them on pods and claims is
// the LimitRanger admission's job (pkg/apiserver), not this package's.
package limitrange
