package pod

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/httpproxy"
)

// proxyREST is pods/proxy: kube-apiserver's HTTP proxy to a pod's IP,
// so `kubectl get --raw /api/v1/namespaces/default/pods/web:80/proxy/`
// reaches the pod's server.
type proxyREST struct {
	pods      *genericregistry.Store
	transport http.RoundTripper
}

var _ rest.Connecter = (*proxyREST)(nil)

func (r *proxyREST) New() runtime.Object      { return &corev1.PodProxyOptions{} }
func (r *proxyREST) Destroy()                 {}
func (r *proxyREST) ConnectMethods() []string { return httpproxy.Methods() }
func (r *proxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodProxyOptions{}, true, "path"
}

// Connect finds the pod's address as upstream's pod ResourceLocation
// does: "name", "name:port" or "scheme:name:port", the port defaulting to
// the first one a container declares, the primary pod IP.
func (r *proxyREST) Connect(ctx context.Context, id string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
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
	return httpproxy.Handler(&url.URL{Scheme: scheme, Host: host}, opts.Path, r.transport, responder), nil
}
