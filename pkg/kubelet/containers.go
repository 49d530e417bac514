package kubelet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/kubectl/pkg/util/podutils"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

// containerRun is one container of a pod as the worker runs it: what it
// reports (info), the process running now, and its back-offs.
type containerRun struct {
	info containerInfo
	// fieldPath is the container's path in the pod for events:
	// spec.containers{name} or spec.initContainers{name}.
	fieldPath string
	proc      *runtime.Container
	// exited is closed when proc has exited.
	exited chan struct{}
	log    interface{ Close() error }
	// probes are the running instance's probers, nil when it has none.
	probes *probes

	// backoff is the current crash back-off; backoffUntil when the next
	// start may happen.
	backoff      time.Duration
	wait         time.Duration
	backoffUntil time.Time
	pullBackoff  time.Duration
	pullUntil    time.Time
	pullErr      string
}

// ref is the object reference events about the container name.
func (r *containerRun) ref(pod *corev1.Pod) *corev1.ObjectReference {
	return &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		ResourceVersion: pod.ResourceVersion, FieldPath: r.fieldPath,
	}
}

// ensureRunning starts the container if it is not running and its
// restart policy and back-off allow, and returns how soon the worker
// should look again (0: not before something happens).
func (w *podWorker) ensureRunning(ctx context.Context, pod *corev1.Pod, r *containerRun, kind containerKind) time.Duration {
	if r.proc != nil {
		return 0
	}
	spec := containerSpec(pod, r.info.name, kind)
	if spec == nil {
		return 0
	}
	if r.fieldPath == "" {
		r.fieldPath = fmt.Sprintf("spec.%s{%s}", kind, spec.Name)
	}
	if t := r.info.state.Terminated; t != nil {
		if !shouldRestart(pod, spec, t.ExitCode, kind) {
			return 0
		}
		now := w.k.clock.Now()
		if now.Before(r.backoffUntil) {
			msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)",
				r.wait, spec.Name, pod.Name, pod.Namespace, pod.UID)
			if r.info.state.Waiting == nil || r.info.state.Waiting.Reason != "CrashLoopBackOff" {
				w.k.recorder.Eventf(r.ref(pod), corev1.EventTypeWarning, "BackOff",
					"Back-off restarting failed container %s in pod %s_%s(%s)", spec.Name, pod.Name, pod.Namespace, pod.UID)
			}
			r.info.last = r.info.state
			r.info.state = waiting("CrashLoopBackOff", msg)
			return r.backoffUntil.Sub(now)
		}
	}
	if wt := r.info.state.Waiting; wt != nil && wt.Reason == "CrashLoopBackOff" {
		// Woken before the back-off has passed (a probe, a pod update):
		// wait on.
		if now := w.k.clock.Now(); now.Before(r.backoffUntil) {
			return r.backoffUntil.Sub(now)
		}
		// the back-off has passed; the last termination stays lastState
	} else if r.info.state.Terminated != nil {
		r.info.last = r.info.state
	}
	return w.startContainer(ctx, pod, spec, r)
}

// containerKind is which list of the pod's spec a container is in, named
// as its field is.
type containerKind string

const (
	regularContainer   containerKind = "containers"
	initContainer      containerKind = "initContainers"
	ephemeralContainer containerKind = "ephemeralContainers"
)

// shouldRestart is the restart policy's word on a container that exited
// with code: sidecars always restart, ephemeral containers never, other
// containers per the pod's policy (an init container under Always
// restarts on failure only).
func shouldRestart(pod *corev1.Pod, spec *corev1.Container, code int32, kind containerKind) bool {
	if kind == ephemeralContainer {
		return false
	}
	if isSidecar(spec) {
		return true
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	default:
		return kind != initContainer || code != 0
	}
}

// containerSpec is the spec of the pod's container name in the list kind;
// an ephemeral container's common part is a container's, as upstream's
// kubelet treats it.
func containerSpec(pod *corev1.Pod, name string, kind containerKind) *corev1.Container {
	var spec *corev1.Container
	podutils.VisitContainers(&pod.Spec, kind.containerType(), func(c *corev1.Container, _ podutils.ContainerType) bool {
		if c.Name == name {
			spec = c
		}
		return spec == nil
	})
	return spec
}

// containerType is kind as kubectl's podutils names the list.
func (kind containerKind) containerType() podutils.ContainerType {
	switch kind {
	case initContainer:
		return podutils.InitContainers
	case ephemeralContainer:
		return podutils.EphemeralContainers
	}
	return podutils.Containers
}

// startContainer pulls the image as its pull policy says, creates and
// starts the container, with the kubelet's events and states at each
// step, and returns how soon to look again after a failure.
func (w *podWorker) startContainer(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun) time.Duration {
	k := w.k
	now := k.clock.Now()
	if now.Before(r.pullUntil) {
		if r.info.state.Waiting == nil || r.info.state.Waiting.Reason != "ImagePullBackOff" {
			k.recorder.Eventf(r.ref(pod), corev1.EventTypeNormal, "BackOff", "Back-off pulling image %q", spec.Image)
			k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff")
		}
		r.info.state = waiting("ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", spec.Image, r.pullErr))
		return r.pullUntil.Sub(now)
	}
	img, err := w.pull(ctx, pod, spec, r)
	var ie *imageError
	if errors.As(err, &ie) {
		r.info.state = waiting(ie.reason, ie.msg)
		return sandboxRetry
	}
	if err != nil {
		r.pullErr = err.Error()
		r.pullBackoff = nextBackoff(r.pullBackoff)
		r.pullUntil = now.Add(r.pullBackoff)
		r.info.state = waiting("ErrImagePull", err.Error())
		return r.pullBackoff
	}
	r.pullBackoff, r.pullUntil = 0, time.Time{}
	r.info.imageRef, r.info.imageID = img.Ref, img.Digest

	cfg, err := k.containerConfig(ctx, pod, spec, w.sandbox, img, r)
	if err != nil {
		msg := err.Error()
		k.recorder.Eventf(r.ref(pod), corev1.EventTypeWarning, "Failed", "Error: %s", msg)
		r.info.state = waiting("CreateContainerConfigError", msg)
		return sandboxRetry
	}
	if r.info.id != "" {
		r.info.restarts++ // a new instance of a container that ran before
	}
	r.info.id = "containerd://" + newContainerID()
	log, err := k.openLog(pod, spec.Name, r.info.restarts, &cfg)
	if err != nil {
		klog.FromContext(ctx).Error(err, "Could not open container log", "container", spec.Name)
		r.info.state = waiting("CreateContainerError", err.Error())
		return sandboxRetry
	}
	k.recorder.Event(r.ref(pod), corev1.EventTypeNormal, "Created", "Container created")
	started := metav1.NewTime(k.clock.Now())
	proc, err := w.sandbox.pod.Start(ctx, cfg.ContainerConfig)
	if err != nil {
		_ = log.Close()
		var se *runtime.StartError
		code, msg := int32(128), err.Error()
		if errors.As(err, &se) {
			code, msg = int32(se.ExitCode), se.Message
		}
		k.recorder.Eventf(r.ref(pod), corev1.EventTypeWarning, "Failed", "Error: %s", msg)
		r.info.state = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: "StartError", Message: msg,
			StartedAt: metav1.NewTime(time.Unix(0, 0).UTC()), FinishedAt: metav1.NewTime(k.clock.Now()), ContainerID: r.info.id,
		}}
		w.armBackoff(r, started.Time)
		w.wake()
		return 0
	}
	k.recorder.Event(r.ref(pod), corev1.EventTypeNormal, "Started", "Container started")
	w.postStart(ctx, pod, spec, r, proc)
	r.proc, r.log, r.exited = proc, log, make(chan struct{})
	k.procs.Store(procKey(pod.UID, spec.Name), &runningContainer{proc: proc, id: r.info.id})
	r.info.state = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}
	r.probes = w.startProbes(ctx, pod, spec, r, proc, started.Time)
	r.refreshProbes()
	go w.watchExit(r, proc)
	return 0
}

// restartProcess runs an adopted container's process again in the runtime
// without changing what the API says of it: to the pod it is the same
// container, still running.
func (w *podWorker) restartProcess(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun) {
	img, err := w.k.cfg.Runtime.PullImage(ctx, spec.Image)
	if err != nil {
		return
	}
	cfg, err := w.k.containerConfig(ctx, pod, spec, w.sandbox, img, r)
	if err != nil {
		return
	}
	log, err := w.k.openLog(pod, spec.Name, r.info.restarts, &cfg)
	if err != nil {
		return
	}
	proc, err := w.sandbox.pod.Start(ctx, cfg.ContainerConfig)
	if err != nil {
		_ = log.Close()
		return
	}
	r.proc, r.log, r.exited = proc, log, make(chan struct{})
	w.k.procs.Store(procKey(pod.UID, spec.Name), &runningContainer{proc: proc, id: r.info.id})
	startedAt := w.k.clock.Now()
	if r.info.state.Running != nil {
		startedAt = r.info.state.Running.StartedAt.Time
	}
	r.probes = w.startProbes(ctx, pod, spec, r, proc, startedAt)
	go w.watchExit(r, proc)
}

// watchExit waits for the process to exit and wakes the worker, which
// records it (exited) on its own goroutine.
func (w *podWorker) watchExit(r *containerRun, proc *runtime.Container) {
	<-proc.Wait()
	close(r.exited)
	w.wake()
}

// exited records a container whose process has exited: terminated with
// its exit code, and the crash back-off armed for its next start.
func (w *podWorker) exited(r *containerRun) {
	if r.proc == nil {
		return
	}
	code := int32(r.proc.ExitCode())
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	var startedAt metav1.Time
	if r.info.state.Running != nil {
		startedAt = r.info.state.Running.StartedAt
	}
	r.info.state = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason, StartedAt: startedAt,
		FinishedAt: metav1.NewTime(w.k.clock.Now()), ContainerID: r.info.id,
	}}
	if r.probes != nil {
		r.probes.stop()
		r.probes = nil
	}
	r.info.started, r.info.ready = false, false
	key := procKey(w.uid, r.info.name)
	if v, ok := w.k.procs.Load(key); ok && v.(*runningContainer).proc == r.proc {
		w.k.procs.CompareAndDelete(key, v)
	}
	if r.log != nil {
		_ = r.log.Close()
	}
	r.proc, r.log = nil, nil
	w.armBackoff(r, startedAt.Time)
}

// armBackoff sets the crash back-off after an exit of a container that
// started at started: reset after a long enough run, else doubled.
func (w *podWorker) armBackoff(r *containerRun, started time.Time) {
	now := w.k.clock.Now()
	if !started.IsZero() && now.Sub(started) >= backoffResetAfter {
		r.backoff = 0
	}
	if r.backoff == 0 {
		// upstream restarts the first time at once, then backs off
		r.backoff, r.wait, r.backoffUntil = initialBackoff, 0, now
		return
	}
	r.wait, r.backoffUntil = r.backoff, now.Add(r.backoff)
	r.backoff = nextBackoff(r.backoff)
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return initialBackoff
	}
	return min(2*d, maxBackoff)
}

// newContainerID is a random 64-hex container ID, as containerd's.
func newContainerID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
