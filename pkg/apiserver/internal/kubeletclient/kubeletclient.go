package kubeletclient

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Connection says how the API server reaches kubelets: every
// fakecluster kubelet listens on Host, at the port its Node reports in
// status.daemonEndpoints.kubeletEndpoint, and speaks HTTPS through
// Transport. URLs name the node (https://worker0:10250/…), so one
// listener can serve many nodes and tell them apart by TLS server name;
// Transport dials Host whatever the URL's host.
type Connection struct {
	Host      string
	Transport http.RoundTripper
}

// defaultPort is the kubelet's port when a node reports none.
const defaultPort = 10250

// Locator turns a node name into the URL of its kubelet.
type Locator struct {
	nodes rest.Getter
	conn  Connection
}

// NewLocator returns the Locator that finds nodes in the nodes' storage
// and reaches their kubelets through conn.
func NewLocator(nodes rest.Getter, conn Connection) *Locator {
	return &Locator{nodes: nodes, conn: conn}
}

// Transport is the connection's transport, for proxying to a location.
func (k *Locator) Transport() http.RoundTripper { return k.conn.Transport }

// Location is the URL of path on the kubelet of nodeName, with query. A
// node that does not exist is a NotFound error about nodes.
func (k *Locator) Location(ctx context.Context, nodeName, path string, query url.Values) (*url.URL, error) {
	// The request is about a pod; errors about the node must say "nodes".
	ctx = genericapirequest.WithNamespace(ctx, "")
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "get", APIVersion: "v1", Resource: "nodes", Name: nodeName})
	obj, err := k.nodes.Get(ctx, nodeName, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	port := int(obj.(*corev1.Node).Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		port = defaultPort
	}
	return &url.URL{Scheme: "https", Host: net.JoinHostPort(nodeName, strconv.Itoa(port)), Path: path, RawQuery: query.Encode()}, nil
}
