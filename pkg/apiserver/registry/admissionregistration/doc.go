// Package admissionregistration holds what the registries of the six
// admissionregistration.k8s.io/v1 kinds share, as upstream's
// pkg/apis/admissionregistration/v1 defaults and validation do: the
// defaults and checks of webhooks (common to validating and mutating
// webhook configurations), of rules and match resources, of paramKind and
// paramRef, and the CEL compilation of match conditions, variables and the
// policies' expressions, done with k8s.io/apiserver's admission CEL
// libraries so that an expression the admission plugins could not compile
// is refused when it is stored.
//
// It serves nothing itself (one folder per resource does) and admits
// nothing (the admission plugins evaluate what is stored here).
package admissionregistration
