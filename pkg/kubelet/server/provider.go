package server

import (
	"context"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// TerminalSize is a resize of the client's terminal during exec or attach with a TTY.
type TerminalSize = remotecommand.TerminalSize

// Provider is what the server needs from the kubelet of one node. The kubelet core
// implements it over its pods and its runtime; its methods are called concurrently.
//
// The streams of Exec and Attach are the client's: stdin is nil unless the client sends
// input, stdout and stderr are nil for a stream it did not ask for (stderr always with a
// TTY). The server checks before calling Exec or Attach that the container runs.
type Provider interface {
	// Pods are the pods bound to the node as the kubelet sees them: spec and the status it
	// last computed (for /pods; /runningpods/ is derived from them and Running).
	Pods() []*corev1.Pod
	// Pod is the node's pod namespace/name, or false when the node does not run it.
	Pod(namespace, name string) (*corev1.Pod, bool)
	// Running reports whether the container of pod runs now and the ID of that instance,
	// as the pod's status shows it ("containerd://<id>") or bare.
	Running(pod *corev1.Pod, container string) (containerID string, running bool)
	// LogPath is the CRI log file of the instance of container whose ID the pod's status
	// reports (containerStatuses[].containerID or lastState.terminated.containerID,
	// "containerd://<id>"). Its error is shown to the client as the log.
	LogPath(pod *corev1.Pod, container, containerID string) (string, error)
	// Exec runs cmd in the running container, as the runtime's Exec: a non-zero exit is
	// the exit code, not an error; an error (a command that cannot start) carries
	// containerd's text, which kubectl prints after "error executing command in
	// container: ".
	Exec(ctx context.Context, pod *corev1.Pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer, tty bool, resize <-chan TerminalSize) (exitCode int, err error)
	// Attach connects the streams to the running container's main process until it exits,
	// the client goes or ctx ends. tty is the container's own setting.
	Attach(ctx context.Context, pod *corev1.Pod, container string, stdin io.Reader, stdout, stderr io.Writer, tty bool, resize <-chan TerminalSize) error
	// PortForward copies between stream and port inside the pod until either ends.
	PortForward(ctx context.Context, pod *corev1.Pod, port int32, stream io.ReadWriteCloser) error
}
