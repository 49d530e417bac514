package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
)

// Upstream's back-offs: a crashing container waits 10 s, doubling to 5
// minutes, reset after 10 minutes of running; image pulls likewise.
const (
	initialBackoff    = 10 * time.Second
	maxBackoff        = 300 * time.Second
	backoffResetAfter = 10 * time.Minute
	// sandboxRetry is how soon a pod whose sandbox could not be set up
	// (no IP left, a volume's source missing) is tried again.
	sandboxRetry = 5 * time.Second
)

// podWorker runs one pod: its sandbox, its containers and its status. The
// informer hands it pod updates; its own goroutine does all the work, so
// nothing of the pod's state needs a lock but the latest update.
type podWorker struct {
	k   *Kubelet
	uid types.UID

	mu      sync.Mutex
	pod     *corev1.Pod
	gone    bool
	signal  chan struct{}
	stopped chan struct{}
	once    sync.Once

	// Owned by run.
	sandbox   *sandbox
	init      []*containerRun
	regular   []*containerRun
	ephemeral []*containerRun
	written   *corev1.PodStatus // the status last written
	// reported is the status last written, for the kubelet API's readers on
	// other goroutines: newer than the informer's copy of the pod, as the
	// kubelet's status manager is the source of what the API shows.
	reported atomic.Pointer[corev1.PodStatus]
	// initialized: the status with every init container done was written.
	initialized bool
	// volumesSynced is when the pod's volumes were last written.
	volumesSynced time.Time
	start         metav1.Time
	terminal      bool
}

func newPodWorker(k *Kubelet, pod *corev1.Pod) *podWorker {
	return &podWorker{k: k, uid: pod.UID, signal: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// update records the pod's latest state and wakes the worker.
func (w *podWorker) update(pod *corev1.Pod, gone bool) {
	w.mu.Lock()
	w.pod, w.gone = pod, w.gone || gone
	w.mu.Unlock()
	w.wake()
}

func (w *podWorker) wake() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// stop ends the worker without touching the API: the kubelet is stopping.
func (w *podWorker) stop() { w.once.Do(func() { close(w.stopped) }) }

func (w *podWorker) latest() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

// run is the worker's loop: sync on every update, container exit and
// back-off expiry, until the pod is gone or the kubelet stops.
func (w *podWorker) run(ctx context.Context) {
	logger := klog.FromContext(ctx)
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			w.kill(0)
			return
		case <-w.stopped:
			w.kill(0)
			return
		case <-w.signal:
		case <-timer:
		}
		pod, gone := w.latest()
		logger := klog.LoggerWithValues(logger, "pod", klog.KObj(pod))
		ctx := klog.NewContext(ctx, logger)
		if gone {
			w.kill(0)
			w.cleanup(ctx, pod)
			return
		}
		if pod.DeletionTimestamp != nil {
			w.terminate(ctx, pod)
			return
		}
		next := w.sync(ctx, pod)
		timer = nil
		if next > 0 {
			timer = w.k.clock.After(next)
		}
	}
}

// sync moves the pod one step on: sandbox, init containers in order, then
// the app containers, restarting those the restart policy says to, and
// writes its status. It returns how soon it wants to run again without an
// update (0 for never).
func (w *podWorker) sync(ctx context.Context, pod *corev1.Pod) time.Duration {
	if w.init == nil && w.regular == nil {
		w.setUp(pod)
		if w.adopt(ctx, pod) {
			return 0
		}
	}
	for _, r := range w.runs() {
		if r.proc != nil {
			select {
			case <-r.exited:
				w.exited(r)
			default:
			}
		}
	}
	for _, r := range w.runs() {
		r.refreshProbes()
	}
	if w.terminal {
		return 0
	}
	var next time.Duration
	soon := func(d time.Duration) {
		if d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if w.sandbox == nil {
		w.writeStatus(ctx, pod) // ContainerCreating / PodInitializing
		sb, err := w.k.createSandbox(ctx, pod)
		if err != nil {
			if mounts, claims := mountFailures(err); len(mounts) > 0 || len(claims) > 0 {
				for _, m := range mounts {
					w.k.recorder.Event(pod, corev1.EventTypeWarning, "FailedMount", m.Error())
				}
				if len(claims) > 0 {
					w.k.recorder.Event(pod, corev1.EventTypeWarning, "FailedMount", unableToMount(pod, mounts, claims))
				}
			} else if !errors.Is(err, errNoPodCIDR) {
				w.k.recorder.Eventf(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
			}
			klog.FromContext(ctx).V(2).Info("Could not create pod sandbox, will retry", "err", err)
			return sandboxRetry
		}
		w.sandbox = sb
		w.volumesSynced = w.k.clock.Now()
	}

	initDone := true
	for i, run := range w.init {
		spec := &pod.Spec.InitContainers[i]
		if isSidecar(spec) {
			soon(w.ensureRunning(ctx, pod, run, initContainer))
			if !run.info.started {
				initDone = false
				break
			}
			continue
		}
		if t := run.info.state.Terminated; t != nil && t.ExitCode == 0 {
			continue
		}
		initDone = false
		if run.proc == nil {
			if run.info.state.Terminated != nil && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				break // the pod has failed
			}
			soon(w.ensureRunning(ctx, pod, run, initContainer))
		}
		break
	}
	if initDone {
		if !w.initialized && len(w.init) > 0 {
			// As the kubelet's sync that sees the last init container
			// finish: its status (PodInitializing) is written before the
			// containers start.
			w.initialized = true
			w.writeStatus(ctx, pod)
		}
		for _, run := range w.regular {
			soon(w.ensureRunning(ctx, pod, run, regularContainer))
		}
	}
	// Ephemeral containers (kubectl debug) are only ever added, and run
	// once each.
	for _, ec := range pod.Spec.EphemeralContainers[len(w.ephemeral):] {
		w.ephemeral = append(w.ephemeral, &containerRun{info: containerInfo{name: ec.Name, image: ec.Image,
			state: waiting("ContainerCreating", "")}})
	}
	for _, run := range w.ephemeral {
		soon(w.ensureRunning(ctx, pod, run, ephemeralContainer))
	}
	soon(w.resyncVolumes(ctx, pod))
	st := w.writeStatus(ctx, pod)
	if st != nil && (st.Phase == corev1.PodSucceeded || st.Phase == corev1.PodFailed) {
		w.terminal = true
		w.kill(0) // sidecars end with the pod
		w.releaseNetwork(pod)
	}
	return next
}

// runs are all the pod's containers the worker runs.
func (w *podWorker) runs() []*containerRun {
	return slices.Concat(w.init, w.regular, w.ephemeral)
}

// setUp builds the worker's view of the pod's containers from its spec.
func (w *podWorker) setUp(pod *corev1.Pod) {
	mk := func(cs []corev1.Container) []*containerRun {
		out := make([]*containerRun, len(cs))
		for i := range cs {
			out[i] = &containerRun{info: containerInfo{name: cs[i].Name, image: cs[i].Image,
				state: waiting("ContainerCreating", "")}}
		}
		return out
	}
	w.init, w.regular = mk(pod.Spec.InitContainers), mk(pod.Spec.Containers)
	if len(w.init) > 0 {
		for _, r := range append(append([]*containerRun{}, w.init...), w.regular...) {
			r.info.state = waiting("PodInitializing", "")
		}
	}
	w.start = metav1.NewTime(w.k.clock.Now())
	if pod.Status.StartTime != nil {
		w.start = *pod.Status.StartTime
	}
	w.terminal = pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// adopt takes over a pod a previous run of this kubelet started: its IPs,
// files and container states stay as the API has them, and its running
// containers run again in the runtime, as containers outlive a kubelet
// restart. It reports whether there is nothing more to do now.
func (w *podWorker) adopt(ctx context.Context, pod *corev1.Pod) bool {
	if w.terminal {
		w.written = pod.Status.DeepCopy()
		return true
	}
	if len(pod.Status.PodIPs) == 0 && !pod.Spec.HostNetwork {
		return false
	}
	statuses := map[string]corev1.ContainerStatus{}
	for _, s := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		statuses[s.Name] = s
	}
	for _, r := range append(append([]*containerRun{}, w.init...), w.regular...) {
		s, ok := statuses[r.info.name]
		if !ok {
			continue
		}
		r.info.id, r.info.state, r.info.last = s.ContainerID, s.State, s.LastTerminationState
		r.info.restarts, r.info.ready, r.info.imageRef, r.info.imageID = s.RestartCount, s.Ready, s.Image, s.ImageID
		r.info.started = ptr.Deref(s.Started, false)
	}
	sb, err := w.k.createSandbox(ctx, pod)
	if err != nil {
		return false
	}
	w.sandbox = sb
	w.volumesSynced = w.k.clock.Now()
	for i, r := range w.init {
		if r.info.state.Running != nil {
			w.restartProcess(ctx, pod, &pod.Spec.InitContainers[i], r)
		}
	}
	for i, r := range w.regular {
		if r.info.state.Running != nil {
			w.restartProcess(ctx, pod, &pod.Spec.Containers[i], r)
		}
	}
	w.written = pod.Status.DeepCopy()
	return false
}

// status is the pod's status as the kubelet sees it now.
func (w *podWorker) status(pod *corev1.Pod) *corev1.PodStatus {
	st := pod.Status.DeepCopy()
	infos := func(runs []*containerRun) []*containerInfo {
		out := make([]*containerInfo, len(runs))
		for i, r := range runs {
			out[i] = &r.info
		}
		return out
	}
	init, regular := infos(w.init), infos(w.regular)
	now := metav1.NewTime(w.k.clock.Now())
	st.Phase = podPhase(&pod.Spec, init, regular)
	st.Conditions = podConditions(pod, st.Phase, w.sandbox != nil, init, regular, now)
	st.ObservedGeneration = pod.Generation
	st.StartTime = &w.start
	st.HostIP, st.HostIPs = "", nil
	for _, ip := range w.k.cfg.NodeIPs {
		st.HostIPs = append(st.HostIPs, corev1.HostIP{IP: ip.String()})
	}
	if len(st.HostIPs) > 0 {
		st.HostIP = st.HostIPs[0].IP
	}
	if w.sandbox != nil {
		st.PodIP, st.PodIPs = "", nil
		for _, ip := range w.sandbox.ips {
			st.PodIPs = append(st.PodIPs, corev1.PodIP{IP: ip.String()})
		}
		if len(st.PodIPs) > 0 {
			st.PodIP = st.PodIPs[0].IP
		}
	}
	st.InitContainerStatuses, st.ContainerStatuses = nil, nil
	for _, c := range init {
		st.InitContainerStatuses = append(st.InitContainerStatuses, c.status())
	}
	for _, c := range regular {
		st.ContainerStatuses = append(st.ContainerStatuses, c.status())
	}
	st.EphemeralContainerStatuses = nil
	for _, r := range w.ephemeral {
		st.EphemeralContainerStatuses = append(st.EphemeralContainerStatuses, r.info.status())
	}
	return st
}

// writeStatus writes the pod's status if it changed since the last write
// and returns it (nil if it could not be written).
func (w *podWorker) writeStatus(ctx context.Context, pod *corev1.Pod) *corev1.PodStatus {
	st := w.status(pod)
	if w.written != nil && apiequality.Semantic.DeepEqual(st, w.written) {
		return st
	}
	pods := w.k.cfg.Client.CoreV1().Pods(pod.Namespace)
	stopping := ctx
	ctx, cancel := requestContext(ctx)
	defer cancel()
	base := pod
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p := base.DeepCopy()
		p.Status = *st
		_, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, gerr := pods.Get(ctx, pod.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if fresh.UID != pod.UID {
				return apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
			}
			base = fresh
			st = w.status(fresh)
		}
		return err
	})
	if err != nil {
		if stopping.Err() == nil && !apierrors.IsNotFound(err) {
			klog.FromContext(ctx).Error(err, "Failed to update status for pod")
		}
		return nil
	}
	w.written = st
	w.reported.Store(st)
	return st
}

// terminate stops a pod being deleted: every container gets the grace
// period the deletion gave, the final status is written, and the pod is
// deleted for good (grace 0, this UID only), then its IPs and files go.
func (w *podWorker) terminate(ctx context.Context, pod *corev1.Pod) {
	grace := time.Duration(ptr.Deref(pod.DeletionGracePeriodSeconds, 30)) * time.Second
	var wg sync.WaitGroup
	for kind, runs := range map[containerKind][]*containerRun{ephemeralContainer: w.ephemeral, regularContainer: w.regular, initContainer: w.init} {
		for _, r := range runs {
			if r.proc == nil {
				continue
			}
			spec := containerSpec(pod, r.info.name, kind)
			wg.Go(func() { w.stopContainer(ctx, pod, spec, r, grace) })
		}
	}
	wg.Wait()
	for _, runs := range [][]*containerRun{w.ephemeral, w.regular, w.init} {
		for _, r := range runs {
			if r.proc != nil {
				<-r.exited
				w.exited(r)
			}
		}
	}
	if w.init != nil && !w.terminal {
		w.writeStatus(ctx, pod)
	}
	rctx, cancel := requestContext(ctx)
	defer cancel()
	err := w.k.cfg.Client.CoreV1().Pods(pod.Namespace).Delete(rctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
		klog.FromContext(ctx).Error(err, "Failed to delete pod")
	}
	w.cleanup(ctx, pod)
}

// kill stops every running container at once, without status: the pod is
// gone or the kubelet is stopping.
func (w *podWorker) kill(grace time.Duration) {
	for _, runs := range [][]*containerRun{w.ephemeral, w.regular, w.init} {
		for _, r := range runs {
			if r.proc != nil {
				r.proc.Stop(grace)
				<-r.exited
				w.exited(r)
			}
		}
	}
}

// releaseNetwork takes a pod that will run nothing more off the network and
// frees its IPs, as the kubelet's StopPodSandbox and CNI DEL do.
func (w *podWorker) releaseNetwork(pod *corev1.Pod) {
	if w.sandbox != nil {
		w.sandbox.pod.Close()
	}
	w.k.ips.release(string(pod.UID))
}

// cleanup frees what the pod held on the node: its IPs and its folders.
func (w *podWorker) cleanup(ctx context.Context, pod *corev1.Pod) {
	w.releaseNetwork(pod)
	w.k.tokens.forget(pod.UID)
	dirs := []string{w.k.podDir(pod.UID)}
	if logDir, err := w.k.podLogDir(pod); err == nil {
		dirs = append(dirs, logDir)
	}
	for _, dir := range dirs {
		if err := os.RemoveAll(dir); err != nil {
			klog.FromContext(ctx).Error(err, "Could not remove pod folder", "dir", dir)
		}
	}
}

// mountFailures are the volumes err says could not be set up, and the
// claims it says cannot be used yet.
func mountFailures(err error) ([]*volumes.SetUpError, []*volumes.ClaimError) {
	var mounts []*volumes.SetUpError
	var claims []*volumes.ClaimError
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var se *volumes.SetUpError
		var ce *volumes.ClaimError
		switch {
		case errors.As(e, &ce):
			claims = append(claims, ce)
		case errors.As(e, &se):
			mounts = append(mounts, se)
		}
	}
	return mounts, claims
}

// unableToMount is the FailedMount event the kubelet gives a pod whose
// claims cannot be used yet, after waiting for its volumes: which of the
// volumes its containers mount are not mounted, and which of those are
// claims it could not process, and why (sorted, as the volume manager
// reports its errors). No volume of the fake node is attachable.
func unableToMount(pod *corev1.Pod, mounts []*volumes.SetUpError, claims []*volumes.ClaimError) string {
	used := map[string]bool{}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			for _, m := range cs[i].VolumeMounts {
				used[m.Name] = true
			}
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		for _, m := range pod.Spec.EphemeralContainers[i].VolumeMounts {
			used[m.Name] = true
		}
	}
	var unmounted, unprocessed, reasons []string
	for _, m := range mounts {
		if used[m.PodVolume] {
			unmounted = append(unmounted, m.PodVolume)
		}
	}
	for _, c := range claims {
		if used[c.Volume] {
			unmounted = append(unmounted, c.Volume)
			unprocessed = append(unprocessed, c.Volume)
		}
		reasons = append(reasons, c.Error())
	}
	slices.Sort(unmounted)
	unmounted = slices.Compact(unmounted)
	slices.Sort(unprocessed)
	slices.Sort(reasons)
	reasons = slices.Compact(reasons)
	if unmounted == nil {
		unmounted = []string{}
	}
	if unprocessed == nil {
		unprocessed = []string{}
	}
	return fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=%v, unattached volumes=[], failed to process volumes=%v: %s",
		unmounted, unprocessed, strings.Join(reasons, "; "))
}

// volumeResync is how often a running pod's volumes are written again, as
// the kubelet's volume manager does about every minute: ConfigMap and
// Secret changes reach the files, and service account tokens are renewed
// before they expire.
const volumeResync = time.Minute

// resyncVolumes writes the pod's volumes again once volumeResync has passed
// since the last time, and returns how soon the next is due.
func (w *podWorker) resyncVolumes(ctx context.Context, pod *corev1.Pod) time.Duration {
	if w.sandbox == nil {
		return 0
	}
	now := w.k.clock.Now()
	if due := w.volumesSynced.Add(volumeResync); now.Before(due) {
		return due.Sub(now)
	}
	w.volumesSynced = now
	if _, err := volumes.Setup(ctx, w.k.volumeDirs(pod.UID), pod, apiSource{w.k}); err != nil {
		// The files keep their last content, as the kubelet's do.
		klog.FromContext(ctx).V(2).Info("Could not update the pod's volumes", "err", err)
	}
	return volumeResync
}
