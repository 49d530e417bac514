package service

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/httpproxy"
)

// newProxy is services/proxy, so `kubectl proxy` then
// /api/v1/namespaces/default/services/web:80/proxy/ reaches one of the
// Service's pods.
func newProxy(services, endpoints rest.Getter, transport http.RoundTripper) *httpproxy.Connecter[*corev1.ServiceProxyOptions] {
	return &httpproxy.Connecter[*corev1.ServiceProxyOptions]{
		NewOptions: func() *corev1.ServiceProxyOptions { return &corev1.ServiceProxyOptions{} },
		Path:       func(o *corev1.ServiceProxyOptions) string { return o.Path },
		Locate: func(ctx context.Context, id, path string) (*url.URL, http.RoundTripper, error) {
			loc, err := serviceLocation(ctx, services, endpoints, id, path)
			return loc, transport, err
		},
	}
}

// serviceLocation picks an endpoint as upstream's service ResourceLocation
// does: the id names a port by name or number, and a random ready address
// of the Service's Endpoints that has the port gets the request. It is the
// API server's own choice, not the simulated kube-proxy's.
func serviceLocation(ctx context.Context, services, endpoints rest.Getter, id, path string) (*url.URL, error) {
	scheme, name, port, err := httpproxy.SplitID(id, "service")
	if err != nil {
		return nil, err
	}
	if n, err := strconv.ParseInt(port, 10, 64); err == nil {
		obj, err := services.Get(ctx, name, &metav1.GetOptions{})
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
	obj, err := endpoints.Get(ctx, name, &metav1.GetOptions{})
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
			return httpproxy.URL(scheme, net.JoinHostPort(addr.IP, strconv.Itoa(int(p.Port))), path), nil
		}
	}
	return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", id))
}
