// Package service defaults and validates v1 Services the way kube-apiserver
// v1.37 does (SetDefaults_Service, ValidateService/ValidateServiceUpdate and
// the storage's IP family defaulting, initIPFamilyFields), working on
// k8s.io/api/core/v1 types directly and returning upstream's field paths and
// error texts.
//
// It is not a registry, and it allocates nothing: package alloc, the
// services storage's hooks, calls NormalizeClusterIPs, PatchAllocatedValues
// and InitIPFamilyFields in upstream's order before it takes cluster IPs and
// node ports, and the strategy calls DropTypeDependentFields and the
// validation after it. Metadata is validated by the generic registry, not
// here.
package service
