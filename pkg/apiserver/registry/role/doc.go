// Package role is the registry of rbac.authorization.k8s.io/v1 Roles,
// fakecluster's k8s.io/kubernetes/pkg/registry/rbac/role: the rules a
// namespace's bindings grant, checked as upstream (no non-resource URLs)
// and written only by those who hold them or may escalate.
package role
