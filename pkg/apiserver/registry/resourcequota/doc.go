// Package resourcequota is the registry of core/v1 ResourceQuotas,
// fakecluster's k8s.io/kubernetes/pkg/registry/core/resourcequota: spec
// and status split, the status written through resourcequotas/status (by
// the resource-quota-controller and the ResourceQuota admission plugin,
// which are not here).
package resourcequota
