// Package configmap is the registry of core/v1 ConfigMaps, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/configmap: a plain resource, stored
// as sent.
package configmap
