// Package rolebinding is the registry of rbac.authorization.k8s.io/v1
// RoleBindings, fakecluster's k8s.io/kubernetes/pkg/registry/rbac/rolebinding:
// a Role or ClusterRole granted to users, groups and ServiceAccounts in one
// namespace; its role is fixed, and only those who hold the role's rules or
// may bind it write one.
package rolebinding
