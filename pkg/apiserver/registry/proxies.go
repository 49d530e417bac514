package registry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// proxyMethods are the verbs upstream's pod and service proxies take.
var proxyMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// podProxyREST is pods/proxy: kube-apiserver's HTTP proxy to a pod's IP,
// so `kubectl get --raw /api/v1/namespaces/default/pods/web:80/proxy/`
// reaches the pod's server.
type podProxyREST struct {
	pods      *genericregistry.Store
	transport http.RoundTripper
}

var _ rest.Connecter = (*podProxyREST)(nil)

func (r *podProxyREST) New() runtime.Object      { return &corev1.PodProxyOptions{} }
func (r *podProxyREST) Destroy()                 {}
func (r *podProxyREST) ConnectMethods() []string { return proxyMethods }
func (r *podProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodProxyOptions{}, true, "path"
}

// Connect finds the pod's address as upstream's pod ResourceLocation
// does: "name", "name:port" or "scheme:name:port", the port defaulting to
// the first one a container declares, the primary pod IP.
func (r *podProxyREST) Connect(ctx context.Context, id string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	opts, ok := options.(*corev1.PodProxyOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", id))
	}
	obj, err := r.pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	var ip netip.Addr
	if len(pod.Status.PodIPs) > 0 {
		ip, _ = netip.ParseAddr(pod.Status.PodIPs[0].IP)
	}
	if !ip.IsValid() || !ip.IsGlobalUnicast() {
		return nil, apierrors.NewBadRequest("address not allowed")
	}
	host := ip.String()
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	return proxyHandler(&url.URL{Scheme: scheme, Host: host}, opts.Path, r.transport, responder), nil
}

// serviceProxyREST is services/proxy, so `kubectl proxy` then
// /api/v1/namespaces/default/services/web:80/proxy/ reaches one of the
// Service's pods.
type serviceProxyREST struct {
	services  *genericregistry.Store
	endpoints *storeRef
	transport http.RoundTripper
}

var _ rest.Connecter = (*serviceProxyREST)(nil)

func (r *serviceProxyREST) New() runtime.Object      { return &corev1.ServiceProxyOptions{} }
func (r *serviceProxyREST) Destroy()                 {}
func (r *serviceProxyREST) ConnectMethods() []string { return proxyMethods }
func (r *serviceProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.ServiceProxyOptions{}, true, "path"
}

// Connect picks an endpoint as upstream's service ResourceLocation does:
// the id names a port by name or number, and a random ready address of
// the Service's Endpoints that has the port gets the request. It is the
// API server's own choice, not the simulated kube-proxy's.
func (r *serviceProxyREST) Connect(ctx context.Context, id string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	opts, ok := options.(*corev1.ServiceProxyOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", id))
	}
	if n, err := strconv.ParseInt(port, 10, 64); err == nil {
		obj, err := r.services.Get(ctx, name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		found := false
		for _, p := range obj.(*corev1.Service).Spec.Ports {
			if int64(p.Port) == n {
				port, found = p.Name, true
				break
			}
		}
		if !found {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", n, name))
		}
	}
	obj, err := r.endpoints.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	eps := obj.(*corev1.Endpoints)
	if len(eps.Subsets) == 0 {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	first := rand.IntN(len(eps.Subsets))
	for i := range eps.Subsets {
		ss := eps.Subsets[(first+i)%len(eps.Subsets)]
		if len(ss.Addresses) == 0 {
			continue
		}
		for _, p := range ss.Ports {
			if p.Name != port {
				continue
			}
			addr := ss.Addresses[rand.IntN(len(ss.Addresses))]
			loc := &url.URL{Scheme: scheme, Host: net.JoinHostPort(addr.IP, strconv.Itoa(int(p.Port)))}
			return proxyHandler(loc, opts.Path, r.transport, responder), nil
		}
	}
	return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", id))
}

// proxyHandler proxies to loc with the request's path below the
// subresource; the upgrade-aware handler rewrites the links of HTML it
// returns so that they stay under the proxy URL, as upstream's do.
func proxyHandler(loc *url.URL, subpath string, transport http.RoundTripper, responder rest.Responder) http.Handler {
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
