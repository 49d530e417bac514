// Package nodeauthz is kube-apiserver v1.37's Node authorizer: what a
// kubelet, authenticated as system:node:<name> in group system:nodes, may
// do. Secrets, ConfigMaps, claims, volumes, ResourceClaims and service
// account tokens only when a pod bound to that node needs them; pods,
// Nodes, Leases and CSINodes only its own (AuthorizeNodeWithSelectors, on
// by default in v1.37); everything else as the system:node ClusterRole
// of the bootstrap policy says.
//
// It is fakecluster's k8s.io/kubernetes/plugin/pkg/auth/authorizer/node.
// It does not restrict what a node writes into an object (NodeRestriction
// admission in pkg/apiserver does) and has no opinion on anyone else.
package nodeauthz
