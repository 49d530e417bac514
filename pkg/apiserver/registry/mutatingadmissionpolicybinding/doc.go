// Package mutatingadmissionpolicybinding is the registry of
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBindings,
// fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingadmissionpolicybinding:
// which mutating policy applies to which resources, with which
// parameters. Applying the policy is the admission plugin's job, not this
// package's.
package mutatingadmissionpolicybinding
