package images

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
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

var (
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	tagRE       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestRE    = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	domainRE    = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$`)
)

// ParseReference normalises ref as the Docker reference library does for containerd.
func ParseReference(ref string) (Reference, error) {
	if ref == "" || len(ref) > 4096 {
		return Reference{}, ErrInvalidReference
	}
	var r Reference
	name := ref
	if i := strings.Index(name, "@"); i >= 0 {
		r.Digest, name = name[i+1:], name[:i]
		if !digestRE.MatchString(r.Digest) {
			return Reference{}, ErrInvalidReference
		}
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		r.Tag, name = name[i+1:], name[:i]
		if !tagRE.MatchString(r.Tag) {
			return Reference{}, ErrInvalidReference
		}
	}
	first, rest, hasSlash := strings.Cut(name, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first) {
		if !domainRE.MatchString(first) {
			return Reference{}, ErrInvalidReference
		}
		r.Domain, r.Path = first, rest
	} else {
		r.Domain, r.Path = "docker.io", name
		if !hasSlash {
			r.Path = "library/" + name
		}
	}
	if r.Domain == "index.docker.io" {
		r.Domain = "docker.io"
	}
	for _, c := range strings.Split(r.Path, "/") {
		if !componentRE.MatchString(c) {
			if componentRE.MatchString(strings.ToLower(c)) {
				return Reference{}, fmt.Errorf("%w: repository name (%s) must be lowercase", ErrInvalidReference, r.Path)
			}
			return Reference{}, ErrInvalidReference
		}
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// unresolvable says whether the registry host cannot exist: the reserved .invalid domain.
func (r Reference) unresolvable() bool {
	host, _, _ := strings.Cut(r.Domain, ":")
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "invalid" || strings.HasSuffix(host, ".invalid")
}
