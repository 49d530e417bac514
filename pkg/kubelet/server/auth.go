package server

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// APIServerClientCN is the common name of the client certificate kube-apiserver presents
// to kubelets (kubeadm's apiserver-kubelet-client, organization system:masters).
const APIServerClientCN = "kube-apiserver-kubelet-client"

// authenticate returns the caller's user name, or false when the request carries no
// valid credential: a client certificate from the cluster CA, or the configured bearer
// token (which is the API server's). Anonymous requests are not authenticated, as on a
// kubelet with --anonymous-auth=false.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		if user, _, err := s.ca.verifyClient(r.TLS.PeerCertificates, s.clock.Now()); err == nil {
			return user, true
		}
	}
	if s.token != "" {
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if ok && strings.EqualFold(scheme, "bearer") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.token)) == 1 {
			return s.clientCN, true
		}
	}
	return "", false
}

// forbidden is the kubelet's refusal of an authenticated user its authorizer denies: the
// verb of the HTTP method and the nodes subresources the path needs, listed.
func forbidden(user string, r *http.Request) string {
	return fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=nodes, subresource(s)=%v)", user, apiVerb(r.Method), subresources(r.URL.Path))
}

// apiVerb is the authorization verb of an HTTP method, as the kubelet maps it.
func apiVerb(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodGet:
		return "get"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	return ""
}

// subresources are the nodes subresources a kubelet path is authorized against, with
// fine-grained kubelet authorization (on by default since v1.33): a path of its own
// subresource also needs proxy, except stats, metrics, logs and checkpoint.
func subresources(path string) []string {
	switch {
	case isSubpath(path, "/pods"), isSubpath(path, "/runningpods/"):
		return []string{"pods", "proxy"}
	case isSubpath(path, "/healthz"):
		return []string{"healthz", "proxy"}
	case isSubpath(path, "/configz"):
		return []string{"configz", "proxy"}
	case isSubpath(path, "/statusz"):
		return []string{"statusz", "proxy"}
	case isSubpath(path, "/stats/"):
		return []string{"stats"}
	case isSubpath(path, "/metrics"):
		return []string{"metrics"}
	case isSubpath(path, "/logs/"):
		return []string{"log"}
	case isSubpath(path, "/checkpoint/"):
		return []string{"checkpoint"}
	}
	return []string{"proxy"}
}

// isSubpath reports whether path is dir or below it.
func isSubpath(path, dir string) bool {
	dir = strings.TrimSuffix(dir, "/")
	return path == dir || strings.HasPrefix(path, dir+"/")
}
