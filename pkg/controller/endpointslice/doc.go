// Package endpointslice is the EndpointSlice controller: it keeps the
// EndpointSlices of every Service with a selector in step with the pods the
// selector matches, as kube-controller-manager's endpointslice controller
// does, by driving the upstream k8s.io/endpointslice reconciler from
// client-go informers. It does not write v1 Endpoints (package endpoints
// does), mirror selectorless Services' Endpoints into slices, or delete the
// slices of a deleted Service: their ownerReferences leave that to the
// garbage collector, as upstream does.
package endpointslice
