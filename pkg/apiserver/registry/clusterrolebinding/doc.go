// Package clusterrolebinding is the registry of rbac.authorization.k8s.io/v1
// ClusterRoleBindings, fakecluster's
// k8s.io/kubernetes/pkg/registry/rbac/clusterrolebinding: a ClusterRole
// granted to users, groups and ServiceAccounts in every namespace; its role
// is fixed, and only those who hold the role's rules or may bind it write
// one.
package clusterrolebinding
