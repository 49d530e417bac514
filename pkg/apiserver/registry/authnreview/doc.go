// Package authnreview serves authentication.k8s.io/v1's reviews,
// fakecluster's k8s.io/kubernetes/pkg/registry/authentication: a
// TokenReview asks the API server's authenticator who a bearer token is,
// and a SelfSubjectReview says who the caller is (kubectl auth whoami).
// Reviews are created and answered, never stored; the authenticator is
// not defined here.
package authnreview
