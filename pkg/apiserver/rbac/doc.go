// Package rbac evaluates RBAC policy as kube-apiserver does: which rules a
// user holds through Roles, ClusterRoles and their bindings (a rule
// resolver over any source of them: informers for the authorizer, the
// registry's stores for the escalation checks), whether a rule allows a
// request, the RBAC authorizer with upstream's reasons, and the checks that
// keep a user from granting what they do not hold, with upstream's texts.
//
// It is fakecluster's k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac and
// pkg/registry/rbac/validation. It does not serve or validate the RBAC
// objects (pkg/apiserver/registry/rbac and its siblings do) and holds no
// policy of its own (bootstrappolicy does).
package rbac
