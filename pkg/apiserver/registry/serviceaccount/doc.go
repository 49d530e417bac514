// Package serviceaccount is the registry of core/v1 ServiceAccounts,
// fakecluster's k8s.io/kubernetes/pkg/registry/core/serviceaccount: the
// serviceaccounts resource and serviceaccounts/token (kubectl create
// token), which issues tokens bound, if asked, to a pod, secret or node.
//
// Signing and checking tokens, and the ServiceAccount admission, are
// pkg/apiserver/serviceaccount's.
package serviceaccount
