// Package mutatingwebhookconfiguration is the registry of
// admissionregistration.k8s.io/v1 MutatingWebhookConfigurations,
// fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/mutatingwebhookconfiguration:
// the webhooks kube-apiserver lets change a request's object, defaulted
// and checked as upstream does (the shared rules are in
// registry/admissionregistration). Calling the webhooks is the admission
// plugin's job, not this package's.
package mutatingwebhookconfiguration
