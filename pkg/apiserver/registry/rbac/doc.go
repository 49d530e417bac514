// Package rbac holds what the registries of the rbac.authorization.k8s.io/v1
// kinds (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) share, as
// upstream's pkg/registry/rbac and pkg/apis/rbac/validation: the checks of
// rules, role references and subjects with upstream's texts, the ROLE and
// subject cells of the bindings' tables, and the Guard whose create and
// update hooks refuse to grant what the requester does not hold.
//
// It serves nothing itself (the folders role, clusterrole, rolebinding and
// clusterrolebinding do) and evaluates no policy (pkg/apiserver/rbac does).
package rbac
