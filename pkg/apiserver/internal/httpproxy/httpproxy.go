package httpproxy

import (
	"net/http"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Methods are the verbs upstream's pod, service and node proxies take.
func Methods() []string {
	return []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
}

// Handler proxies to loc with the request's path below the
// subresource; the upgrade-aware handler rewrites the links of HTML it
// returns so that they stay under the proxy URL, as upstream's do.
func Handler(loc *url.URL, subpath string, transport http.RoundTripper, responder rest.Responder) http.Handler {
	if loc.Scheme == "" {
		loc.Scheme = "http"
	}
	// Upstream passes the path on as given, trailing slash and all.
	loc.Path = "/" + strings.TrimPrefix(subpath, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l := *loc
		l.RawQuery = req.URL.RawQuery
		h := proxy.NewUpgradeAwareHandler(&l, transport, true, false, proxy.NewErrorResponder(responder))
		h.ServeHTTP(w, req)
	})
}
