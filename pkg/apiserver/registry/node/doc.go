// Package node is the registry of core/v1 Nodes, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/node: spec and status split (a
// kubelet registers its node with status), allocatable defaulted from
// capacity, pod CIDRs validated and immutable once set, and nodes/proxy to
// the node's kubelet.
package node
