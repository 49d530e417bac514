// Package priorityclass is the registry of scheduling.k8s.io/v1
// PriorityClasses, fakecluster's
// k8s.io/kubernetes/pkg/registry/scheduling/priorityclass: the named
// priorities pods ask for by spec.priorityClassName, the two system
// classes kube-apiserver creates at start, and the names reserved for
// them. Resolving a pod's class is the Priority admission's job, not this
// package's.
package priorityclass
