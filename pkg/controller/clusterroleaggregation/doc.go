// Package clusterroleaggregation is kube-controller-manager's
// clusterrole-aggregation-controller over client-go: a ClusterRole with an
// aggregationRule gets the rules of every ClusterRole its selectors match
// (so admin, edit and view gather the system:aggregate-to-* roles and any a
// CRD's author labels), kept up to date as they change. It is not where
// RBAC is evaluated or served.
package clusterroleaggregation
