// Package lease is the registry of coordination.k8s.io/v1 Leases,
// fakecluster's k8s.io/kubernetes/pkg/registry/coordination/lease: a plain
// resource that PUT may create (node heartbeats, leader election).
package lease
