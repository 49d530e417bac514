package pod

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// NewStorage returns the storage of pods and their subresources: status,
// binding (and the legacy bindings resource), eviction,
// ephemeralcontainers, proxy, and the streams kube-apiserver proxies to the
// pod's kubelet (log, exec, attach, portforward). The streams find the
// kubelet of a pod's node in nodes and reach it through kubelet;
// pods/proxy dials pod IPs through podTransport.
func NewStorage(opts resource.Options, nodes rest.Getter, kubelet kubeletclient.Connection, podTransport http.RoundTripper) (*resource.Storage, error) {
	s, err := resource.NewStorage(definition(), opts)
	if err != nil {
		return nil, err
	}
	pods := s.REST.Store
	k := kubeletclient.NewLocator(nodes, kubelet)
	s.Extra = map[string]rest.Storage{
		"pods/binding":             &bindingREST{pods: pods},
		"bindings":                 &bindingsREST{bindingREST{pods: pods}},
		"pods/eviction":            &evictionREST{pods: pods},
		"pods/ephemeralcontainers": resource.NewUpdateREST(pods, ephemeralContainersStrategy{pods.UpdateStrategy}),
		"pods/proxy":               newProxy(pods, podTransport),
		"pods/log":                 &logREST{pods: pods, kubelet: k},
		"pods/exec":                &streamREST{pods: pods, kubelet: k, path: "exec", options: func() runtime.Object { return &corev1.PodExecOptions{} }},
		"pods/attach":              &streamREST{pods: pods, kubelet: k, path: "attach", options: func() runtime.Object { return &corev1.PodAttachOptions{} }},
		"pods/portforward":         &streamREST{pods: pods, kubelet: k, path: "portForward", options: func() runtime.Object { return &corev1.PodPortForwardOptions{} }},
	}
	return s, nil
}
