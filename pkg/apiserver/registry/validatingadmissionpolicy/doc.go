// Package validatingadmissionpolicy is the registry of
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies,
// fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicy:
// CEL validations that bindings apply to requests, stored only once every
// expression compiles, with a status subresource where the type checker
// reports. Type checking and enforcement are the admission plugin's job,
// not this package's.
package validatingadmissionpolicy
