// Package clusterrole is the registry of rbac.authorization.k8s.io/v1
// ClusterRoles, fakecluster's k8s.io/kubernetes/pkg/registry/rbac/clusterrole:
// rules for every namespace and for non-resource URLs, or an aggregationRule
// whose selected roles the clusterrole-aggregation-controller unites;
// written only by those who hold the rules or may escalate (an
// aggregationRule needs full authority).
package clusterrole
