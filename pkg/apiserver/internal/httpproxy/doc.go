// Package httpproxy is the proxy subresource that pods/proxy,
// services/proxy and nodes/proxy share: kube-apiserver's upgrade-aware HTTP
// proxy to an address a registry has located (a pod IP, an endpoint of a
// Service, a node's kubelet).
//
// It locates nothing itself: each registry says where a request goes.
package httpproxy
