// Package servicecidr is the registry of networking.k8s.io/v1 ServiceCIDRs,
// fakecluster's k8s.io/kubernetes/pkg/registry/networking/servicecidr: spec
// and status split. The API server writes the "kubernetes" ServiceCIDR on
// start; Services' addresses are allocated from it (registry/service/alloc).
package servicecidr
