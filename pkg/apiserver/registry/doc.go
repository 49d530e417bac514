// Package registry says, resource by resource, what kube-apiserver v1.37
// does beyond storing objects: names, scope, discovery short names and
// categories, the spec/status split, field selectors, defaulting and
// validation. pkg/apiserver installs what it lists.
//
// It does not store or serve anything itself: internal/resource turns each
// Definition into a generic registry Store.
package registry
