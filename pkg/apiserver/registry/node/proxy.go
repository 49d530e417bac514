package node

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/httpproxy"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
)

// proxyREST is nodes/proxy: kube-apiserver's proxy to the node's
// kubelet, so `kubectl get --raw /api/v1/nodes/worker0/proxy/healthz`
// reaches the kubelet's /healthz.
type proxyREST struct {
	kubelet *kubeletclient.Locator
}

var _ rest.Connecter = (*proxyREST)(nil)

func (r *proxyREST) New() runtime.Object { return &corev1.NodeProxyOptions{} }
func (r *proxyREST) Destroy()            {}

// ConnectMethods are the verbs upstream's node proxy takes.
func (r *proxyREST) ConnectMethods() []string { return httpproxy.Methods() }

func (r *proxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.NodeProxyOptions{}, true, "path"
}

func (r *proxyREST) Connect(ctx context.Context, name string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	opts, ok := options.(*corev1.NodeProxyOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	// The kubelet sees the path cleaned, so no ".." climbs out of it.
	p := path.Clean("/" + strings.TrimPrefix(opts.Path, "/"))
	loc, err := r.kubelet.Location(ctx, name, p, nil)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l := *loc
		l.RawQuery = req.URL.RawQuery // the client's query, as upstream passes it on
		proxy.NewUpgradeAwareHandler(&l, r.kubelet.Transport(), true, false, proxy.NewErrorResponder(responder)).ServeHTTP(w, req)
	}), nil
}
