// Package limitrange is the registry of core/v1 LimitRanges, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/limitrange: a plain resource, stored
// as sent (no LimitRanger admission enforces it).
package limitrange
