// Package mutatingadmissionpolicy is the registry of
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicies, fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicy:
// CEL mutations (apply configurations or JSON patches) that bindings apply
// to requests, stored only once every expression compiles. Applying them
// is the admission plugin's job, not this package's. Unlike validating
// policies, v1 gives them no status.
package mutatingadmissionpolicy
