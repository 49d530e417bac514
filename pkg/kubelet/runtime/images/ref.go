package images

import (
	"errors"
	"strings"

	"github.com/distribution/reference"
)

// Reference is a parsed, normalised image reference.
type Reference struct {
	// Domain is the registry host, docker.io for Docker Hub.
	Domain string
	// Path is the repository path inside the registry (library/nginx).
	Path string
	// Tag is the tag; "latest" when neither a tag nor a digest was given.
	Tag string
	// Digest is "sha256:..." when the reference named one.
	Digest string
}

// Repo is domain/path, e.g. docker.io/library/nginx.
func (r Reference) Repo() string { return r.Domain + "/" + r.Path }

// String is the normalised form containerd reports: docker.io/library/nginx:latest, or
// repo@sha256:... for a digest reference.
func (r Reference) String() string {
	s := r.Repo()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ErrInvalidReference is returned (wrapped) for a reference that is not an image name.
var ErrInvalidReference = errors.New("invalid reference format")

// invalidReferenceError is a parse error of the reference library, whose text
// the kubelet and containerd print as it is, that also matches
// ErrInvalidReference: the library's own errors do not all wrap one sentinel.
type invalidReferenceError struct{ err error }

func (e *invalidReferenceError) Error() string   { return e.err.Error() }
func (e *invalidReferenceError) Unwrap() []error { return []error{ErrInvalidReference, e.err} }

// ParseReference normalises ref as containerd does: the reference library's
// normalised name, with the tag "latest" when ref names neither a tag nor a
// digest.
func ParseReference(ref string) (Reference, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return Reference{}, &invalidReferenceError{err}
	}
	named = reference.TagNameOnly(named)
	r := Reference{Domain: reference.Domain(named), Path: reference.Path(named)}
	if tagged, ok := named.(reference.Tagged); ok {
		r.Tag = tagged.Tag()
	}
	if digested, ok := named.(reference.Digested); ok {
		r.Digest = digested.Digest().String()
	}
	return r, nil
}

// unresolvable says whether the registry host cannot exist: the reserved .invalid domain.
func (r Reference) unresolvable() bool {
	host, _, _ := strings.Cut(r.Domain, ":")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "invalid" || strings.HasSuffix(host, ".invalid")
}
