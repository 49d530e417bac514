package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilproxy "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/streaming/pkg/httpstream/wsstream"
	utilexec "k8s.io/utils/exec"
)

// exec serves /exec/{namespace}/{pod}[/{uid}]/{container}?command=...: the kubelet's
// checks and texts before the upgrade, then the command's streams over SPDY or websocket.
func (s *Server) exec(w http.ResponseWriter, r *http.Request, p Provider) {
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pod, container, ok := s.runningContainer(w, r, p)
	if !ok {
		return
	}
	cmd := r.URL.Query()["command"]
	run := execFunc(func(ctx context.Context, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan TerminalSize) error {
		code, err := p.Exec(ctx, pod, container, cmd, in, writer(out), writer(errOut), tty, resize)
		if err != nil {
			return err
		}
		if code != 0 {
			// containerd's words; kubectl prints "command terminated with exit code N".
			return utilexec.CodeExitError{Err: fmt.Errorf("error executing command %v, exit code %d", cmd, code), Code: code}
		}
		return nil
	})
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		serveV5(w, r, opts, s.idleTimeout, run, "error executing command in container")
		return
	}
	remotecommand.ServeExec(w, r, run, pod.Name, string(pod.UID), container, cmd, opts,
		s.idleTimeout, s.creation, remotecommand.SupportedStreamingProtocols)
}

// attach serves /attach/{namespace}/{pod}[/{uid}]/{container}. Whether the process has a
// terminal is the container's setting, which the provider is told; the streams are exactly
// the ones the client asked for, since a SPDY client's stream that the server does not
// expect would stall the connection.
func (s *Server) attach(w http.ResponseWriter, r *http.Request, p Provider) {
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pod, container, ok := s.runningContainer(w, r, p)
	if !ok {
		return
	}
	tty := containerSpec(pod, container).TTY
	run := execFunc(func(ctx context.Context, in io.Reader, out, errOut io.WriteCloser, _ bool, resize <-chan TerminalSize) error {
		return p.Attach(ctx, pod, container, in, writer(out), writer(errOut), tty, resize)
	})
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		serveV5(w, r, opts, s.idleTimeout, run, "error attaching to container")
		return
	}
	remotecommand.ServeAttach(w, r, run, pod.Name, string(pod.UID), container, opts,
		s.idleTimeout, s.creation, remotecommand.SupportedStreamingProtocols)
}

// runningContainer is the pod and container of an exec or attach request, or false after
// writing the kubelet's error: 404 for a pod the node does not run, 500 for a container
// that is not running now (the kubelet finds only running containers).
func (s *Server) runningContainer(w http.ResponseWriter, r *http.Request, p Provider) (*corev1.Pod, string, bool) {
	pod, ok := p.Pod(r.PathValue("namespace"), r.PathValue("pod"))
	if !ok {
		writeError(w, http.StatusNotFound, "pod does not exist")
		return nil, "", false
	}
	container := r.PathValue("container")
	uid := r.PathValue("uid")
	if containerSpec(pod, container) == nil || uid != "" && uid != string(pod.UID) {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("container not found (%q)", container))
		return nil, "", false
	}
	if _, running := p.Running(pod, container); !running {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("container not found (%q)", container))
		return nil, "", false
	}
	return pod, container, true
}

// execFunc is an exec or attach with the streams cri-streaming hands over; it is both of
// cri-streaming's Executor and Attacher.
type execFunc func(ctx context.Context, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan TerminalSize) error

var (
	_ remotecommand.Executor = execFunc(nil)
	_ remotecommand.Attacher = execFunc(nil)
)

func (f execFunc) ExecInContainer(ctx context.Context, _, _, _ string, _ []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan TerminalSize, _ time.Duration) error {
	return f(ctx, in, out, errOut, tty, resize)
}

func (f execFunc) AttachContainer(ctx context.Context, _, _, _ string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan TerminalSize) error {
	return f(ctx, in, out, errOut, tty, resize)
}

// writer is w as an io.Writer, nil when the client did not ask for the stream.
func writer(w io.WriteCloser) io.Writer {
	if w == nil {
		return nil
	}
	return w
}

// portForward serves /portForward/{namespace}/{pod}[/{uid}]: SPDY, websocket (with the
// ports in the query), or SPDY tunnelled through a websocket as kubectl port-forward
// speaks by default.
func (s *Server) portForward(w http.ResponseWriter, r *http.Request, p Provider) {
	opts, err := portforward.NewV4Options(r)
	if err != nil && !wsstream.IsWebSocketRequestWithTunnelingProtocol(r) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	pod, ok := p.Pod(r.PathValue("namespace"), r.PathValue("pod"))
	if !ok {
		writeError(w, http.StatusNotFound, "pod does not exist")
		return
	}
	if uid := r.PathValue("uid"); uid != "" && uid != string(pod.UID) {
		writeError(w, http.StatusNotFound, "pod not found")
		return
	}
	if !anyRunning(p, pod) {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("pod not found (%q)", pod.Name+"_"+pod.Namespace))
		return
	}
	fwd := forwarder{p: p, pod: pod}
	serve := func(w http.ResponseWriter, r *http.Request) {
		portforward.ServePortForward(w, r, fwd, pod.Name, string(pod.UID), opts,
			s.idleTimeout, s.creation, portforward.SupportedProtocols)
	}
	if wsstream.IsWebSocketRequestWithTunnelingProtocol(r) {
		// The tunnelling handler turns the request into a SPDY upgrade and expects the
		// upgrade's response bytes on the connection it hands over: rawResponse writes them.
		utilproxy.NewTunnelingHandler(http.HandlerFunc(func(tw http.ResponseWriter, spdyReq *http.Request) {
			conn, _, err := tw.(http.Hijacker).Hijack()
			if err != nil {
				writeError(tw, http.StatusInternalServerError, err.Error())
				return
			}
			defer conn.Close()
			serve(newRawResponse(conn), spdyReq)
		})).ServeHTTP(w, r)
		return
	}
	serve(w, r)
}

func anyRunning(p Provider, pod *corev1.Pod) bool {
	for _, c := range containerNames(pod) {
		if _, ok := p.Running(pod, c); ok {
			return true
		}
	}
	return false
}

// forwarder is cri-streaming's PortForwarder for one pod.
type forwarder struct {
	p   Provider
	pod *corev1.Pod
}

var _ portforward.PortForwarder = forwarder{}

func (f forwarder) PortForward(ctx context.Context, _, _ string, port int32, stream io.ReadWriteCloser) error {
	return f.p.PortForward(ctx, f.pod, port, stream)
}
