// Package bootstrappolicy is the RBAC policy kube-apiserver v1.37 creates
// (cluster-admin, admin/edit/view and the system:aggregate-to-* roles they
// aggregate, system:basic-user, system:discovery, system:node, every
// system:controller:* role, the kube-system and kube-public Roles and their
// bindings) and its reconciliation at every start, as kube-apiserver's
// rbac/bootstrap-roles post-start hook: missing objects are created, missing
// rules, selectors and subjects added, and objects annotated
// rbac.authorization.kubernetes.io/autoupdate: "false" left alone.
//
// The policy is data (policy.json), derived from what a real v1.37.2
// serves (testdata/) by this package's test. It does not aggregate roles
// (the clusterrole-aggregation-controller does) or authorize anything.
package bootstrappolicy
