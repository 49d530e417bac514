// Package service defaults and validates v1 Services the way kube-apiserver
// v1.37 does (SetDefaults_Service and ValidateService/ValidateServiceUpdate),
// working on k8s.io/api/core/v1 types directly and returning upstream's field
// paths and error texts.
//
// It is not a registry, and it allocates nothing: cluster IPs, IP families
// and node ports come from allocators with cluster state, which a later step
// adds in front of this package (see SetDefaults and Validate for the seams).
// Metadata is validated by the generic registry, not here.
package service
