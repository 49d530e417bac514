package pod

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/httpproxy"
)

// newProxy is pods/proxy: kube-apiserver's HTTP proxy to a pod's IP, so
// `kubectl get --raw /api/v1/namespaces/default/pods/web:80/proxy/`
// reaches the pod's server.
func newProxy(pods rest.Getter, transport http.RoundTripper) *httpproxy.Connecter[*corev1.PodProxyOptions] {
	return &httpproxy.Connecter[*corev1.PodProxyOptions]{
		NewOptions: func() *corev1.PodProxyOptions { return &corev1.PodProxyOptions{} },
		Path:       func(o *corev1.PodProxyOptions) string { return o.Path },
		Locate: func(ctx context.Context, id, path string) (*url.URL, http.RoundTripper, error) {
			loc, err := podLocation(ctx, pods, id, path)
			return loc, transport, err
		},
	}
}

// podLocation finds the pod's address as upstream's pod ResourceLocation
// does: the port defaults to the first one a container declares, the
// address is the primary pod IP.
func podLocation(ctx context.Context, pods rest.Getter, id, path string) (*url.URL, error) {
	scheme, name, port, err := httpproxy.SplitID(id, "pod")
	if err != nil {
		return nil, err
	}
	obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
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
	return httpproxy.URL(scheme, host, path), nil
}
