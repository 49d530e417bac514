// Package validatingwebhookconfiguration is the registry of
// admissionregistration.k8s.io/v1 ValidatingWebhookConfigurations,
// fakecluster's
// k8s.io/kubernetes/pkg/registry/admissionregistration/validatingwebhookconfiguration:
// the webhooks kube-apiserver asks whether a request may proceed, defaulted
// and checked as upstream does (the shared rules are in
// registry/admissionregistration). Calling the webhooks is the admission
// plugin's job, not this package's.
package validatingwebhookconfiguration
