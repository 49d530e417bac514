// Package podrefs names the API objects a pod or a PersistentVolume refers
// to (Secrets, ConfigMaps, claims, ResourceClaims), the way kube-apiserver's
// node authorizer and NodeRestriction admission see them, so both agree on
// what a kubelet may read and what a mirror pod may not name.
//
// It reads objects only; it does not fetch, authorize or validate them.
package podrefs
