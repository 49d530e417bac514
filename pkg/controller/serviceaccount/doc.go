// Package serviceaccount holds the two controllers that give every active
// namespace what its pods' service account tokens need, as
// kube-controller-manager does: the "default" ServiceAccount
// (pkg/controller/serviceaccount's ServiceAccountsController) and the
// kube-root-ca.crt ConfigMap with the cluster CA
// (pkg/controller/certificates/rootcacertpublisher). Both recreate or
// correct their object whenever it is deleted or changed.
//
// It neither issues nor checks tokens, and does not admit pods: that is the
// API server's job (pkg/apiserver/serviceaccount).
package serviceaccount
