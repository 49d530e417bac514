// Package resource turns a short description of an API resource (names,
// scope, validation, status split, table) into the generic registry Store
// and REST objects kube-apiserver would install for it, so each registry
// package states only what is particular to its resource.
//
// It holds no resource-specific rules; those live in each resource's
// folder under pkg/apiserver/registry.
package resource
