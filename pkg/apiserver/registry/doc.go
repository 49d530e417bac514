// Package registry builds the storage of every resource fakecluster
// serves, as kube-apiserver's storage_core.go and its siblings do: each
// resource's rules (names, scope, discovery short names and categories, the
// spec/status split, field selectors, defaulting, validation,
// subresources) live in its own folder below, named like its upstream
// counterpart in k8s.io/kubernetes/pkg/registry, and NewStorage hands each
// the stores it reaches.
//
// A new resource is a folder with doc.go (what it is, and its upstream
// counterpart), strategy.go (its resource.Definition: names, defaulting,
// validation, status split), storage.go (NewStorage, which adds its
// subresources and takes the stores they reach as arguments) and table.go
// (its kubectl get columns, built on package tables, with table_test.go
// and testdata/*.golden comparing them with kube-apiserver's), plus one
// b.add line in NewStorage.
//
// It neither serves nor installs anything: pkg/apiserver installs what
// NewStorage returns, and internal/resource turns each folder's Definition
// into a generic registry Store.
package registry
