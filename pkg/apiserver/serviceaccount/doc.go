// Package serviceaccount is kube-apiserver's side of service accounts: the
// tokens it issues (JWTs signed with the service account key, carrying the
// kubernetes.io claims), the bearer-token authenticator that accepts them
// while the service account and the objects they are bound to exist, and
// the ServiceAccount admission of pods (default service account, token
// volume, image pull secrets).
//
// It does not create ServiceAccounts or publish the cluster CA
// (pkg/controller/serviceaccount does) and serves no REST endpoint: the
// serviceaccounts/token subresource lives in
// pkg/apiserver/registry/serviceaccount and calls Issuer.
package serviceaccount
