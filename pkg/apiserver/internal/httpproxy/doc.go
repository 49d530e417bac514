// Package httpproxy is the HTTP proxy that pods/proxy and services/proxy
// share: kube-apiserver's proxy to an address its registry has located (a
// pod IP, an endpoint of a Service).
//
// It locates nothing itself; the pod and service registries pick the
// address, and the kubelet's proxy (nodes/proxy) is the node registry's.
package httpproxy
