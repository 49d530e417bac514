package kubelet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

// minimumGracePeriod is what a container gets to stop after its preStop
// hook, however long the hook took: the kubelet's
// minimumGracePeriodInSeconds.
const minimumGracePeriod = 2 * time.Second

// runHook runs the lifecycle handler h of spec's running instance proc, as
// the kubelet's handler runner does: a command in the container, an HTTP
// GET from the node, or a sleep. On failure it returns the kubelet's event
// message.
func (w *podWorker) runHook(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, proc *runtime.Container, h *corev1.LifecycleHandler) (string, error) {
	podName := fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
	switch {
	case h.Exec != nil:
		var out, stderr lockedBuffer
		code, err := proc.Exec(ctx, h.Exec.Command, nil, &out, io.MultiWriter(&out, &stderr), false, nil)
		if err == nil && code != 0 {
			err = fmt.Errorf("command '%s' exited with %d: %s", strings.Join(h.Exec.Command, " "), code, stderr.Bytes())
		}
		if err != nil {
			return fmt.Sprintf("Exec lifecycle hook (%v) for Container %q in Pod %q failed - error: %v, message: %q",
				h.Exec.Command, spec.Name, podName, err, out.Bytes()), err
		}
		return "", nil
	case h.HTTPGet != nil:
		err := w.hookGet(ctx, spec, proc, h.HTTPGet)
		if err != nil {
			return fmt.Sprintf("HTTP lifecycle hook (%s) for Container %q in Pod %q failed - error: %v", h.HTTPGet.Path, spec.Name, podName, err), err
		}
		return "", nil
	case h.Sleep != nil:
		t := w.k.clock.NewTimer(time.Duration(h.Sleep.Seconds) * time.Second)
		defer t.Stop()
		select {
		case <-t.C():
		case <-ctx.Done():
		}
		return "", nil
	}
	err := errors.New("invalid handler")
	return fmt.Sprintf("Cannot run handler: %v", err), err
}

// hookGet is an httpGet hook: a GET from the node to the pod's port.
func (w *podWorker) hookGet(ctx context.Context, spec *corev1.Container, proc *runtime.Container, get *corev1.HTTPGetAction) error {
	port, err := resolvePort(get.Port, spec)
	if err != nil {
		return err
	}
	host := get.Host
	if host == "" && len(w.sandbox.ips) > 0 {
		host = w.sandbox.ips[0].String()
	}
	scheme := strings.ToLower(string(get.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: get.Path}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	for _, h := range get.HTTPHeaders {
		req.Header.Add(h.Name, h.Value)
	}
	dial := probeRunner{proc: proc, sb: w.sandbox, nodeIPs: w.k.cfg.NodeIPs}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			h, p, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			n, _ := strconv.Atoi(p)
			return dial.Dial(ctx, h, n)
		},
		DisableKeepAlives: true,
	}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// resolvePort is a handler's port: a number, or the name of one of the
// container's ports.
func resolvePort(p intstr.IntOrString, spec *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range spec.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("couldn't find port: %v in %v", p, spec)
}

// postStart runs r's postStart hook, if any, right after its start; a
// failed hook kills the container, which its restart policy then decides
// on.
func (w *podWorker) postStart(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun, proc *runtime.Container) {
	if spec.Lifecycle == nil || spec.Lifecycle.PostStart == nil {
		return
	}
	msg, err := w.runHook(ctx, pod, spec, proc, spec.Lifecycle.PostStart)
	if err == nil {
		return
	}
	w.k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "FailedPostStartHook", msg)
	w.k.recorder.Event(r.ref(pod), corev1.EventTypeNormal, "Killing", "FailedPostStartHook")
	go proc.Stop(gracePeriod(pod))
}

// stopContainer stops r as the kubelet's killContainer does: the Killing
// event, its preStop hook within the grace period, then SIGTERM with what
// is left of it (at least minimumGracePeriod).
func (w *podWorker) stopContainer(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun, grace time.Duration) {
	w.k.recorder.Eventf(r.ref(pod), corev1.EventTypeNormal, "Killing", "Stopping container %s", r.info.name)
	if spec != nil && spec.Lifecycle != nil && spec.Lifecycle.PreStop != nil && grace > 0 {
		start := w.k.clock.Now()
		hctx, cancel := context.WithTimeout(ctx, grace)
		msg, err := w.runHook(hctx, pod, spec, r.proc, spec.Lifecycle.PreStop)
		cancel()
		if err != nil {
			w.k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "FailedPreStopHook", msg)
		}
		grace -= w.k.clock.Since(start)
		if grace < minimumGracePeriod {
			grace = minimumGracePeriod
		}
	}
	r.proc.Stop(grace)
}
