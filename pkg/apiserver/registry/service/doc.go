// Package service is the registry of core/v1 Services, fakecluster's
// k8s.io/kubernetes/pkg/registry/core/service: the services resource,
// services/status and services/proxy, with the defaulting and validation of
// kube-apiserver v1.37 (SetDefaults_Service, ValidateService and
// ValidateServiceUpdate, and the storage's IP family defaulting,
// initIPFamilyFields) written over k8s.io/api/core/v1 types, returning
// upstream's field paths and error texts.
//
// It allocates nothing: package alloc, the storage's Allocator, calls
// NormalizeClusterIPs, PatchAllocatedValues and InitIPFamilyFields in
// upstream's order before it takes cluster IPs and node ports, and the
// strategy calls DropTypeDependentFields and the validation after it.
// Metadata is validated by internal/resource, not here.
package service
