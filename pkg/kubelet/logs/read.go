package logs

import (
	"context"
	"errors"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	crilogs "k8s.io/cri-client/pkg/logs"
)

// RunningFunc reports whether the container instance whose log is read still runs. A
// followed log ends once it has been read to its end and the instance no longer runs.
type RunningFunc func(ctx context.Context) bool

// Read writes the log file at path to stdout and stderr as the kubelet serves
// `kubectl logs`, with k8s.io/cri-client's reader: each entry's text (an F entry ends its
// line), with the timestamp first when opts.Timestamps, from opts.SinceTime or
// opts.SinceSeconds before now, the last opts.TailLines lines, at most opts.LimitBytes
// bytes, and with opts.Follow what is written later until the instance stops running or
// ctx ends. A nil stdout or stderr drops that stream, as a request for one stream does.
// containerID names the instance when the reader asks whether it runs; it may be empty.
// opts.Container, Previous and Stream choose the file and the writers: they are the
// caller's to apply.
func Read(ctx context.Context, path, containerID string, opts *corev1.PodLogOptions, now time.Time, running RunningFunc, stdout, stderr io.Writer) error {
	if running == nil {
		running = func(context.Context) bool { return false }
	}
	return crilogs.ReadLogs(ctx, path, containerID, LogOptions(opts, now), statusRuntime{running: running}, stdout, stderr)
}

// LogOptions converts the options of pods/log into cri-client's, as the kubelet does: the
// later of SinceTime and now minus SinceSeconds is where the log starts.
func LogOptions(opts *corev1.PodLogOptions, now time.Time) *crilogs.LogOptions {
	o := &crilogs.LogOptions{}
	if opts == nil {
		return o
	}
	o.Follow = opts.Follow
	o.Timestamp = opts.Timestamps
	if opts.TailLines != nil {
		n := *opts.TailLines
		o.TailLines = &n
	}
	if opts.LimitBytes != nil {
		n := *opts.LimitBytes
		o.LimitBytes = &n
	}
	if opts.SinceSeconds != nil {
		o.Since = now.Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	}
	if opts.SinceTime != nil && opts.SinceTime.After(o.Since) {
		o.Since = opts.SinceTime.Time
	}
	return o
}

// errNotARuntime is what statusRuntime answers to everything but ContainerStatus: the
// log reader asks only whether the container runs.
var errNotARuntime = errors.New("the kubelet's log reader answers only container status")
