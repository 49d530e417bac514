package registry

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
)

// nodeProxyREST is nodes/proxy: kube-apiserver's proxy to the node's
// kubelet, so `kubectl get --raw /api/v1/nodes/worker0/proxy/healthz`
// reaches the kubelet's /healthz.
type nodeProxyREST struct {
	kubelet *kubeletLocator
}

var _ rest.Connecter = (*nodeProxyREST)(nil)

func (r *nodeProxyREST) New() runtime.Object { return &corev1.NodeProxyOptions{} }
func (r *nodeProxyREST) Destroy()            {}

// ConnectMethods are the verbs upstream's node proxy takes.
func (r *nodeProxyREST) ConnectMethods() []string {
	return []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
}

func (r *nodeProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.NodeProxyOptions{}, true, "path"
}

func (r *nodeProxyREST) Connect(ctx context.Context, name string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	opts, ok := options.(*corev1.NodeProxyOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	// The kubelet sees the path cleaned, so no ".." climbs out of it.
	p := path.Clean("/" + strings.TrimPrefix(opts.Path, "/"))
	loc, err := r.kubelet.location(ctx, name, p, nil)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l := *loc
		l.RawQuery = req.URL.RawQuery // the client's query, as upstream passes it on
		proxy.NewUpgradeAwareHandler(&l, r.kubelet.conn.Transport, true, false, proxy.NewErrorResponder(responder)).ServeHTTP(w, req)
	}), nil
}
