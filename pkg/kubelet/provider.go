package kubelet

import (
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fakecluster/fakecluster/pkg/kubelet/logs"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/server"
)

// The kubelet serves its node's part of the kubelet API (package server)
// from its pods and the runtime's containers.
var _ server.Provider = (*Kubelet)(nil)

// runningContainer is a container process that runs now, with the ID the
// pod's status gives that instance ("containerd://<id>").
type runningContainer struct {
	proc *runtime.Container
	id   string
}

// errNotRunning is what a stream to a container that just exited gets; the
// server checks before it asks, so only a race meets it.
var errNotRunning = errors.New("container not running")

func procKey(uid any, container string) string { return fmt.Sprint(uid) + "/" + container }

// running is the pod's container that runs now, or nil.
func (k *Kubelet) running(pod *corev1.Pod, container string) *runningContainer {
	v, ok := k.procs.Load(procKey(pod.UID, container))
	if !ok {
		return nil
	}
	return v.(*runningContainer)
}

// Pods are the pods bound to the node, as the informer last saw them.
func (k *Kubelet) Pods() []*corev1.Pod {
	if k.pods == nil {
		return nil
	}
	pods, _ := k.pods.List(labels.Everything())
	return pods
}

// Pod is the node's pod namespace/name.
func (k *Kubelet) Pod(namespace, name string) (*corev1.Pod, bool) {
	if k.pods == nil {
		return nil, false
	}
	pod, err := k.pods.Pods(namespace).Get(name)
	if err != nil {
		return nil, false
	}
	// The status the kubelet wrote last may not have reached the informer
	// yet; a client that saw it (kubectl run -i, seeing Running) asks for
	// the logs at once.
	k.mu.Lock()
	w := k.workers[pod.UID]
	k.mu.Unlock()
	if w != nil {
		if st := w.reported.Load(); st != nil {
			pod = pod.DeepCopy()
			pod.Status = *st
		}
	}
	return pod, true
}

// Running reports whether the pod's container runs now, and the ID of the
// instance that does.
func (k *Kubelet) Running(pod *corev1.Pod, container string) (string, bool) {
	if r := k.running(pod, container); r != nil {
		return r.id, true
	}
	return "", false
}

// LogPath is the log file of the container instance containerID, which
// the pod's status names: the current instance's is the restartCount'th,
// the last terminated one's the one before.
func (k *Kubelet) LogPath(pod *corev1.Pod, container, containerID string) (string, error) {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			if s.Name != container {
				continue
			}
			restart := -1
			switch {
			case server.SameContainerID(s.ContainerID, containerID):
				restart = int(s.RestartCount)
			case s.LastTerminationState.Terminated != nil && server.SameContainerID(s.LastTerminationState.Terminated.ContainerID, containerID):
				restart = int(s.RestartCount) - 1
			}
			if restart >= 0 {
				return logs.ContainerPath(k.cfg.SandboxDir, k.cfg.NodeName, pod.Namespace, pod.Name, pod.UID, container, restart)
			}
		}
	}
	return "", fmt.Errorf("failed to try resolving symlinks in path: no log of container %q instance %s", container, containerID)
}

// Exec runs cmd in the running container.
func (k *Kubelet) Exec(ctx context.Context, pod *corev1.Pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer, tty bool, resize <-chan server.TerminalSize) (int, error) {
	r := k.running(pod, container)
	if r == nil {
		return 0, errNotRunning
	}
	return r.proc.Exec(ctx, cmd, stdin, orDiscard(stdout), orDiscard(stderr), tty, terminalSizes(ctx, resize))
}

// Attach connects the streams to the running container's main process.
// The runtime's terminal keeps the size the container started with.
func (k *Kubelet) Attach(ctx context.Context, pod *corev1.Pod, container string, stdin io.Reader, stdout, stderr io.Writer, _ bool, resize <-chan server.TerminalSize) error {
	r := k.running(pod, container)
	if r == nil {
		return errNotRunning
	}
	if resize != nil {
		go func() {
			for range resize {
			}
		}()
	}
	return r.proc.Attach(ctx, stdin, stdout, stderr)
}

// PortForward forwards stream to port in the pod's network namespace,
// which all its running containers share.
func (k *Kubelet) PortForward(ctx context.Context, pod *corev1.Pod, port int32, stream io.ReadWriteCloser) error {
	for _, c := range pod.Spec.Containers {
		if r := k.running(pod, c.Name); r != nil {
			return r.proc.PortForward(ctx, port, stream)
		}
	}
	return errNotRunning
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// terminalSizes passes the client's terminal resizes on to the runtime
// until ctx ends or the client stops sending them.
func terminalSizes(ctx context.Context, resize <-chan server.TerminalSize) <-chan runtime.TerminalSize {
	sizes := make(chan runtime.TerminalSize)
	go func() {
		defer close(sizes)
		for {
			select {
			case s, ok := <-resize:
				if !ok {
					return
				}
				select {
				case sizes <- runtime.TerminalSize{Width: s.Width, Height: s.Height}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return sizes
}
