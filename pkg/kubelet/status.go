package kubelet

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// containerInfo is what the kubelet knows of one container of a pod: its
// current and last state as the CRI would report them.
type containerInfo struct {
	name              string
	image             string // as in the spec
	imageRef, imageID string
	id                string // containerd://…, empty before the first start
	state             corev1.ContainerState
	last              corev1.ContainerState
	restarts          int32
	ready             bool
	started           bool
}

func (c *containerInfo) status() corev1.ContainerStatus {
	image := c.imageRef
	if image == "" {
		image = c.image
	}
	st := corev1.ContainerStatus{
		Name:                 c.name,
		State:                c.state,
		LastTerminationState: c.last,
		Ready:                c.ready,
		RestartCount:         c.restarts,
		Image:                image,
		ImageID:              c.imageID,
		ContainerID:          c.id,
		Started:              &c.started,
	}
	return st
}

func waiting(reason, message string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}
}

// isSidecar reports whether c is a restartable init container.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// podPhase is upstream's getPhase: Pending while initialising or while a
// container never started, Running while any runs (or restarts),
// Succeeded or Failed when every container has stopped for good.
func podPhase(spec *corev1.PodSpec, init, regular []*containerInfo) corev1.PodPhase {
	pendingInit := false
	for i, c := range init {
		sidecar := isSidecar(&spec.InitContainers[i])
		t := c.state.Terminated
		switch {
		case sidecar && c.state.Running != nil:
		case sidecar:
			if c.last.Terminated == nil {
				pendingInit = true
			}
		case t != nil && t.ExitCode == 0:
		case (t != nil || c.last.Terminated != nil) && spec.RestartPolicy == corev1.RestartPolicyNever:
			return corev1.PodFailed
		default:
			pendingInit = true
		}
	}
	var running, waiting, stopped, succeeded int
	for _, c := range regular {
		switch {
		case c.state.Running != nil:
			running++
		case c.state.Terminated != nil:
			stopped++
			if c.state.Terminated.ExitCode == 0 {
				succeeded++
			}
		case c.last.Terminated != nil:
			stopped++
			if c.last.Terminated.ExitCode == 0 {
				succeeded++
			}
		default:
			waiting++
		}
	}
	switch {
	case pendingInit, waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped > 0:
		switch {
		case spec.RestartPolicy == corev1.RestartPolicyAlways:
			return corev1.PodRunning
		case stopped == succeeded:
			return corev1.PodSucceeded
		case spec.RestartPolicy == corev1.RestartPolicyNever:
			return corev1.PodFailed
		default:
			return corev1.PodRunning
		}
	}
	return corev1.PodPending
}

// podConditions are the four conditions the kubelet owns, in its order,
// with upstream's reasons and messages; PodScheduled (the scheduler's) and
// conditions of others are kept from old, after them.
func podConditions(pod *corev1.Pod, phase corev1.PodPhase, sandboxReady bool, init, regular []*containerInfo, now metav1.Time) []corev1.PodCondition {
	gen := pod.Generation
	cond := func(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg, ObservedGeneration: gen}
		if ok {
			c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
		}
		return c
	}
	terminal := phase == corev1.PodSucceeded || phase == corev1.PodFailed

	var incomplete []string
	for i, c := range init {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			if !c.started {
				incomplete = append(incomplete, c.name)
			}
			continue
		}
		if t := c.state.Terminated; t == nil || t.ExitCode != 0 {
			incomplete = append(incomplete, c.name)
		}
	}
	initialized := cond(corev1.PodInitialized, len(incomplete) == 0, "ContainersNotInitialized",
		fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " ")))
	if terminal && len(incomplete) == 0 && len(init) > 0 {
		initialized.Reason = "PodCompleted"
	}

	var unready []string
	for i, c := range init {
		if isSidecar(&pod.Spec.InitContainers[i]) && !c.ready {
			unready = append(unready, c.name)
		}
	}
	for _, c := range regular {
		if !c.ready {
			unready = append(unready, c.name)
		}
	}
	msg := fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
	reason := "ContainersNotReady"
	if len(incomplete) > 0 && !terminal {
		// upstream: not ready while initialising says which init containers are still due
		msg = fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " "))
		reason = "ContainersNotInitialized"
		unready = append(unready, incomplete...)
	}
	if terminal {
		reason, msg = "PodCompleted", ""
		unready = append(unready, "") // never ready once done
	}
	containersReady := cond(corev1.ContainersReady, len(unready) == 0, reason, msg)
	ready := cond(corev1.PodReady, len(unready) == 0, reason, msg)

	out := []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, sandboxReady && !terminal, "", ""),
		initialized, ready, containersReady,
	}
	for _, o := range pod.Status.Conditions {
		if !slices.ContainsFunc(out, func(c corev1.PodCondition) bool { return c.Type == o.Type }) {
			out = append(out, o)
		}
	}
	for i := range out {
		if i >= 4 {
			break
		}
		out[i].LastTransitionTime = now
		for _, o := range pod.Status.Conditions {
			if o.Type == out[i].Type && o.Status == out[i].Status {
				out[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	return out
}
