package node

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/httpproxy"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
)

// newProxy is nodes/proxy: kube-apiserver's proxy to the node's kubelet,
// so `kubectl get --raw /api/v1/nodes/worker0/proxy/healthz` reaches the
// kubelet's /healthz.
func newProxy(kubelet *kubeletclient.Locator) *httpproxy.Connecter[*corev1.NodeProxyOptions] {
	return &httpproxy.Connecter[*corev1.NodeProxyOptions]{
		NewOptions: func() *corev1.NodeProxyOptions { return &corev1.NodeProxyOptions{} },
		Path:       func(o *corev1.NodeProxyOptions) string { return o.Path },
		Locate: func(ctx context.Context, name, p string) (*url.URL, http.RoundTripper, error) {
			// The kubelet sees the path cleaned, so no ".." climbs out of it.
			loc, err := kubelet.Location(ctx, name, path.Clean("/"+strings.TrimPrefix(p, "/")), nil)
			return loc, kubelet.Transport(), err
		},
	}
}
