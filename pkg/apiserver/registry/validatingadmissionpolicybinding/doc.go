// Package validatingadmissionpolicybinding is the registry of
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBindings,
// fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingadmissionpolicybinding:
// which policy applies to which resources, with which parameters, and
// whether a failed validation denies, warns or audits. Applying the
// policy is the admission plugin's job, not this package's.
package validatingadmissionpolicybinding
