// Package accessreview serves authorization.k8s.io/v1's reviews,
// fakecluster's k8s.io/kubernetes/pkg/registry/authorization: a
// SubjectAccessReview, LocalSubjectAccessReview or SelfSubjectAccessReview
// asks the API server's authorizer whether a user may do something, and a
// SelfSubjectRulesReview asks its rule resolver what the caller may do in a
// namespace (kubectl auth can-i, with --list). Reviews are created and
// answered, never stored; the authorizer is not defined here.
package accessreview
