// Package endpointslice is the registry of discovery.k8s.io/v1
// EndpointSlices, fakecluster's
// k8s.io/kubernetes/pkg/registry/discovery/endpointslice: port defaults and
// the generation that the EndpointSlice controller tracks its writes by.
package endpointslice
