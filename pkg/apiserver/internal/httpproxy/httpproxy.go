package httpproxy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Connecter is one proxy subresource. O is its options kind
// (PodProxyOptions, ServiceProxyOptions, NodeProxyOptions): New returns
// it too, as upstream's do, because kubectl's field-validation check reads
// the kind OpenAPI tags each PATCH with, and a proxy tagged with its
// resource's kind would be taken for the resource.
type Connecter[O runtime.Object] struct {
	// NewOptions returns empty options.
	NewOptions func() O
	// Path is the options' path below the subresource.
	Path func(O) string
	// Locate says where the request for id (a name, or for pods and
	// Services "name:port" or "scheme:name:port") with path goes, and
	// the transport that reaches it. Its URL's query is replaced by the
	// client's.
	Locate func(ctx context.Context, id, path string) (*url.URL, http.RoundTripper, error)
}

var _ rest.Connecter = (*Connecter[runtime.Object])(nil)

func (c *Connecter[O]) New() runtime.Object { return c.NewOptions() }
func (c *Connecter[O]) Destroy()            {}

// ConnectMethods are the verbs upstream's pod, service and node proxies
// take.
func (c *Connecter[O]) ConnectMethods() []string {
	return []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
}

// NewConnectOptions: the rest of the URL after proxy/ is the options'
// path.
func (c *Connecter[O]) NewConnectOptions() (runtime.Object, bool, string) {
	return c.NewOptions(), true, "path"
}

// Connect proxies to where Locate says; the upgrade-aware handler rewrites
// the links of HTML it returns so that they stay under the proxy URL, as
// upstream's does.
func (c *Connecter[O]) Connect(ctx context.Context, id string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	opts, ok := options.(O)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	loc, transport, err := c.Locate(ctx, id, c.Path(opts))
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l := *loc
		l.RawQuery = req.URL.RawQuery // the client's query, as upstream passes it on
		proxy.NewUpgradeAwareHandler(&l, transport, true, false, proxy.NewErrorResponder(responder)).ServeHTTP(w, req)
	}), nil
}

// SplitID splits a pod's or Service's proxy id, "name", "name:port" or
// "scheme:name:port", as upstream's ResourceLocations do; what names the
// resource ("pod", "service") in the error.
func SplitID(id, what string) (scheme, name, port string, err error) {
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return "", "", "", apierrors.NewBadRequest(fmt.Sprintf("invalid %s request %q", what, id))
	}
	if scheme == "" {
		scheme = "http"
	}
	return scheme, name, port, nil
}

// URL is scheme://host with path passed on as given, trailing slash and
// all, as upstream passes it to pods and Services.
func URL(scheme, host, path string) *url.URL {
	if len(path) == 0 || path[0] != '/' {
		path = "/" + path
	}
	return &url.URL{Scheme: scheme, Host: host, Path: path}
}
