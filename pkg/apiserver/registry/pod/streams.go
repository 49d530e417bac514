package pod

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/proxy"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/apiserver/pkg/registry/rest"
	utilproxy "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
)

func getPod(ctx context.Context, pods *genericregistry.Store, name string) (*corev1.Pod, error) {
	obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// containerFor picks the container a request means, with kube-apiserver's
// rules and messages: the only container when none is named.
func containerFor(container string, pod *corev1.Pod) (string, error) {
	if container != "" {
		for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
			for _, c := range list {
				if c.Name == container {
					return container, nil
				}
			}
		}
		for _, c := range pod.Spec.EphemeralContainers {
			if c.Name == container {
				return container, nil
			}
		}
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
	}
	switch len(pod.Spec.Containers) {
	case 1:
		return pod.Spec.Containers[0].Name, nil
	case 0:
		return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
	}
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
}

// logREST is pods/log. An unscheduled pod has no kubelet and so no logs:
// the response is empty, as on a real cluster.
type logREST struct {
	pods    *genericregistry.Store
	kubelet *kubeletclient.Locator
}

var (
	_ rest.GetterWithOptions = (*logREST)(nil)
	_ rest.StorageMetadata   = (*logREST)(nil)
)

func (r *logREST) New() runtime.Object               { return &corev1.Pod{} }
func (r *logREST) Destroy()                          {}
func (r *logREST) ProducesMIMETypes(string) []string { return []string{"text/plain"} }
func (r *logREST) ProducesObject(string) interface{} { return "" }
func (r *logREST) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

func (r *logREST) Get(ctx context.Context, name string, options runtime.Object) (runtime.Object, error) {
	opts, ok := options.(*corev1.PodLogOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	pod, err := getPod(ctx, r.pods, name)
	if err != nil {
		return nil, err
	}
	container, err := containerFor(opts.Container, pod)
	if err != nil {
		return nil, err
	}
	if pod.Spec.NodeName == "" {
		return &genericrest.LocationStreamer{}, nil
	}
	query := url.Values{}
	addFlag(query, "follow", opts.Follow)
	addFlag(query, "previous", opts.Previous)
	addFlag(query, "timestamps", opts.Timestamps)
	if opts.SinceSeconds != nil {
		query.Set("sinceSeconds", strconv.FormatInt(*opts.SinceSeconds, 10))
	}
	if opts.SinceTime != nil {
		query.Set("sinceTime", opts.SinceTime.Format(time.RFC3339))
	}
	if opts.TailLines != nil {
		query.Set("tailLines", strconv.FormatInt(*opts.TailLines, 10))
	}
	if opts.LimitBytes != nil {
		query.Set("limitBytes", strconv.FormatInt(*opts.LimitBytes, 10))
	}
	if opts.Stream != nil {
		query.Set("stream", *opts.Stream)
	}
	loc, err := r.kubelet.Location(ctx, pod.Spec.NodeName, fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container), query)
	if err != nil {
		return nil, err
	}
	return &genericrest.LocationStreamer{
		Location:        loc,
		Transport:       r.kubelet.Transport(),
		ContentType:     "text/plain",
		Flush:           opts.Follow,
		ResponseChecker: genericrest.NewGenericHttpResponseChecker(corev1.Resource("pods/log"), pod.Name),
		RedirectChecker: genericrest.PreventRedirects,
	}, nil
}

func addFlag(q url.Values, name string, on bool) {
	if on {
		q.Set(name, "true")
	}
}

// streamREST is pods/exec, pods/attach or pods/portforward: an upgraded
// connection proxied to the kubelet as is (SPDY or WebSocket).
type streamREST struct {
	pods    *genericregistry.Store
	kubelet *kubeletclient.Locator
	path    string // the kubelet's path: exec, attach, portForward
	options func() runtime.Object
}

var _ rest.Connecter = (*streamREST)(nil)

func (r *streamREST) New() runtime.Object      { return &corev1.Pod{} }
func (r *streamREST) Destroy()                 {}
func (r *streamREST) ConnectMethods() []string { return []string{http.MethodGet, http.MethodPost} }
func (r *streamREST) NewConnectOptions() (runtime.Object, bool, string) {
	return r.options(), false, ""
}

func (r *streamREST) Connect(ctx context.Context, name string, options runtime.Object, responder rest.Responder) (http.Handler, error) {
	pod, err := getPod(ctx, r.pods, name)
	if err != nil {
		return nil, err
	}
	query := url.Values{}
	path := fmt.Sprintf("/%s/%s/%s", r.path, pod.Namespace, pod.Name)
	var container string
	var streams *utilproxy.Options
	switch opts := options.(type) {
	case *corev1.PodExecOptions:
		container = opts.Container
		streams = &utilproxy.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Tty: opts.TTY}
		streamFlags(query, opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
		for _, c := range opts.Command {
			query.Add("command", c)
		}
	case *corev1.PodAttachOptions:
		container = opts.Container
		streams = &utilproxy.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Tty: opts.TTY}
		streamFlags(query, opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
	case *corev1.PodPortForwardOptions:
		for _, p := range opts.Ports {
			query.Add("port", strconv.Itoa(int(p)))
		}
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", options))
	}
	if r.path != "portForward" {
		if container, err = containerFor(container, pod); err != nil {
			return nil, err
		}
		path += "/" + container
	}
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	loc, err := r.kubelet.Location(ctx, pod.Spec.NodeName, path, query)
	if err != nil {
		return nil, err
	}
	handler := proxy.NewUpgradeAwareHandler(loc, r.kubelet.Transport(), false, true, proxy.NewErrorResponder(responder))
	// As kube-apiserver does, a client speaking websocket (kubectl's
	// default) is translated to SPDY towards the kubelet, which speaks the
	// streaming protocols of the CRI streaming server.
	if streams != nil {
		translator := utilproxy.NewStreamTranslatorHandler(loc, r.kubelet.Transport(), 0, *streams)
		return utilproxy.NewTranslatingHandler(handler, translator, wsstream.IsWebSocketRequestWithStreamCloseProtocol), nil
	}
	return utilproxy.NewTranslatingHandler(handler, utilproxy.NewTunnelingHandler(handler), wsstream.IsWebSocketRequestWithTunnelingProtocol), nil
}

func streamFlags(q url.Values, stdin, stdout, stderr, tty bool) {
	for name, on := range map[string]bool{"input": stdin, "output": stdout, "error": stderr, "tty": tty} {
		if on {
			q.Set(name, "1")
		}
	}
}
