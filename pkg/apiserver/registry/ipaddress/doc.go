// Package ipaddress is the registry of networking.k8s.io/v1 IPAddresses,
// fakecluster's k8s.io/kubernetes/pkg/registry/networking/ipaddress: one
// object per allocated Service cluster IP, named by the address (written by
// registry/service/alloc).
package ipaddress
