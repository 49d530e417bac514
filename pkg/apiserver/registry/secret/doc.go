// Package secret is the registry of core/v1 Secrets, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/secret: the Opaque type default,
// stringData folded into data, and the type field selector.
package secret
