package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/kubelet/logs"
)

// containerLogs serves GET /containerLogs/{namespace}/{pod}/{container} as the kubelet:
// the query is a v1 PodLogOptions; errors before the log starts have the kubelet's codes
// and texts, an error while reading the log is written into it.
func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request, p Provider) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	q := r.URL.Query()
	// "tail" is the query parameter's old name; "all" means no tail.
	if tail := q.Get("tail"); tail != "" {
		q["tailLines"] = []string{tail}
		if tail == "all" {
			delete(q, "tailLines")
		}
	}
	opts, err := decodeLogOptions(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, `{"message": "Unable to decode query."}`)
		return
	}
	if err := validateLogOptions(opts); err != nil {
		writeError(w, http.StatusUnprocessableEntity, `{"message": "Invalid request."}`)
		return
	}
	pod, ok := p.Pod(ns, name)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("pod %q does not exist", name))
		return
	}
	if containerSpec(pod, container) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("container %q not found in pod %q", container, name))
		return
	}
	id, err := logContainerID(pod, container, opts.Previous)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	fw := flushWriter{w: w}
	var stdout, stderr io.Writer = fw, fw
	if opts.Stream != nil {
		switch *opts.Stream {
		case corev1.LogStreamStdout:
			stderr = nil
		case corev1.LogStreamStderr:
			stdout = nil
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// As the kubelet, start the response before the runtime reads the log: from here on an
	// error can only be written into the log.
	_, _ = fw.Write(nil)
	ctx := r.Context()
	path, err := p.LogPath(pod, container, id)
	if err == nil {
		running := func(context.Context) bool {
			cur, ok := p.Pod(pod.Namespace, pod.Name)
			if !ok || cur.UID != pod.UID {
				return false
			}
			runningID, ok := p.Running(cur, container)
			return ok && SameContainerID(runningID, id)
		}
		err = logs.Read(ctx, path, id, opts, s.clock.Now(), running, stdout, stderr)
	}
	if err != nil && ctx.Err() == nil {
		klog.FromContext(ctx).V(4).Info("Reading container log failed", "pod", klog.KObj(pod), "container", container, "err", err)
		_, _ = io.WriteString(fw, err.Error())
	}
}

// flushWriter sends each write to the client at once, as a followed log needs.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// SameContainerID compares container IDs with or without their "<runtime>://" scheme.
func SameContainerID(a, b string) bool {
	strip := func(id string) string {
		if _, rest, ok := strings.Cut(id, "://"); ok {
			return rest
		}
		return id
	}
	return a != "" && strip(a) == strip(b)
}

// logContainerID picks the container instance whose log a request means from the pod's
// status, with the kubelet's rules and texts: the last terminated instance for previous,
// else the running one, else the one that terminated last; a container that has not run
// yet has no log.
func logContainerID(pod *corev1.Pod, container string, previous bool) (string, error) {
	var status *corev1.ContainerStatus
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == container && status == nil {
				status = &list[i]
			}
		}
	}
	if status == nil {
		return "", fmt.Errorf("container %q in pod %q is not available", container, pod.Name)
	}
	last := status.LastTerminationState.Terminated
	state := status.State
	switch {
	case previous:
		if last == nil || last.ContainerID == "" {
			return "", fmt.Errorf("previous terminated container %q in pod %q not found", container, pod.Name)
		}
		return last.ContainerID, nil
	case state.Running != nil:
		return status.ContainerID, nil
	case state.Terminated != nil:
		if state.Terminated.ContainerID != "" {
			return state.Terminated.ContainerID, nil
		}
		if last != nil && last.ContainerID != "" {
			return last.ContainerID, nil
		}
		return "", fmt.Errorf("container %q in pod %q is terminated", container, pod.Name)
	case last != nil:
		if last.ContainerID == "" {
			return "", fmt.Errorf("container %q in pod %q is terminated", container, pod.Name)
		}
		return last.ContainerID, nil
	case state.Waiting != nil:
		switch reason := state.Waiting.Reason; reason {
		case "ErrImagePull":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: image can't be pulled", container, pod.Name)
		case "ImagePullBackOff":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: trying and failing to pull image", container, pod.Name)
		default:
			return "", fmt.Errorf("container %q in pod %q is waiting to start: %v", container, pod.Name, reason)
		}
	}
	return "", fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
}

// decodeLogOptions reads a v1 PodLogOptions from query parameters as the API machinery's
// parameter codec does: booleans are true unless "false" or "0", integers decimal, times
// RFC 3339; empty values are unset.
func decodeLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	opts := &corev1.PodLogOptions{}
	var errs []error
	boolean := func(key string) bool {
		v, ok := q[key]
		return ok && len(v) > 0 && v[0] != "0" && !strings.EqualFold(v[0], "false")
	}
	integer := func(key string) *int64 {
		if q.Get(key) == "" {
			return nil
		}
		n, err := strconv.ParseInt(q.Get(key), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			return nil
		}
		return &n
	}
	opts.Container = q.Get("container")
	opts.Follow = boolean("follow")
	opts.Previous = boolean("previous")
	opts.Timestamps = boolean("timestamps")
	opts.InsecureSkipTLSVerifyBackend = boolean("insecureSkipTLSVerifyBackend")
	opts.SinceSeconds = integer("sinceSeconds")
	opts.TailLines = integer("tailLines")
	opts.LimitBytes = integer("limitBytes")
	if v := q.Get("sinceTime"); v != "" {
		var t metav1.Time
		if err := t.UnmarshalQueryParameter(v); err != nil {
			errs = append(errs, fmt.Errorf("sinceTime: %w", err))
		} else if !t.IsZero() {
			opts.SinceTime = &t
		}
	}
	if v := q.Get("stream"); v != "" {
		opts.Stream = &v
	}
	return opts, errors.Join(errs...)
}

// validateLogOptions applies the checks of the API's PodLogOptions validation.
func validateLogOptions(o *corev1.PodLogOptions) error {
	var errs []error
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, errors.New("tailLines: must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, errors.New("limitBytes: must be greater than 0"))
	}
	switch {
	case o.SinceSeconds != nil && o.SinceTime != nil:
		errs = append(errs, errors.New("at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		errs = append(errs, errors.New("sinceSeconds: must be greater than 0"))
	}
	if o.Stream != nil {
		switch *o.Stream {
		case corev1.LogStreamAll, corev1.LogStreamStdout, corev1.LogStreamStderr:
		default:
			errs = append(errs, fmt.Errorf("stream: unsupported value %q", *o.Stream))
		}
		if *o.Stream != corev1.LogStreamAll && o.TailLines != nil {
			errs = append(errs, errors.New("`tailLines` and specific `stream` are mutually exclusive for now"))
		}
	}
	return errors.Join(errs...)
}
