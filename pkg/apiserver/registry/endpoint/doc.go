// Package endpoint is the registry of core/v1 Endpoints, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/endpoint: port protocol defaults, and
// PUT may create. services/proxy picks its backends from them.
package endpoint
