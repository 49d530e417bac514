package pod

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// nodeLostReason is the pod status reason the node lifecycle controller sets on pods of an
// unreachable node; a deleted pod with that reason is shown as Unknown.
const nodeLostReason = "NodeLost"

// table returns the kubectl get columns of pods:
// NAME READY STATUS RESTARTS AGE [IP NODE NOMINATED NODE READINESS GATES].
// Succeeded and Failed pods carry a Completed row condition.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Ready", Type: "string", Description: "Ready containers out of all containers, sidecars included."},
		{Name: "Status", Type: "string", Description: "A one-word summary of the pod's phase and container states."},
		{Name: "Restarts", Type: "string", Description: "Container restarts, and how long ago the latest one ended."},
		tables.AgeColumn(),
		{Name: "IP", Type: "string", Priority: 1, Description: "The pod's primary IP address."},
		{Name: "Node", Type: "string", Priority: 1, Description: "The node the pod is bound to."},
		{Name: "Nominated Node", Type: "string", Priority: 1, Description: "The node the scheduler nominated while preempting for this pod."},
		{Name: "Readiness Gates", Type: "string", Priority: 1, Description: "Readiness gates whose condition is true, out of all gates."},
	}
	c := tables.NewConvertor[*corev1.PodList](t, columns, podRow)
	c.Conditions = podRowConditions
	return c
}

func podRow(pod *corev1.Pod, now time.Time) []any {
	s := summarizePod(pod)
	restarts := strconv.Itoa(s.restarts)
	if s.restarts != 0 && !s.lastRestart.IsZero() {
		restarts = fmt.Sprintf("%d (%s ago)", s.restarts, tables.Age(s.lastRestart, now))
	}
	ip := ""
	if len(pod.Status.PodIPs) > 0 {
		ip = pod.Status.PodIPs[0].IP
	}
	return []any{
		pod.Name,
		fmt.Sprintf("%d/%d", s.ready, s.total),
		s.status,
		restarts,
		tables.Age(pod.CreationTimestamp, now),
		tables.NoneIfEmpty(ip),
		tables.NoneIfEmpty(pod.Spec.NodeName),
		tables.NoneIfEmpty(pod.Status.NominatedNodeName),
		readinessGates(pod),
	}
}

// podRowConditions marks finished pods, which kubectl can use to tell them apart.
func podRowConditions(pod *corev1.Pod) []metav1.TableRowCondition {
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodSucceeded), Message: "All containers of the pod exited successfully."}}
	case corev1.PodFailed:
		return []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodFailed), Message: "The pod terminated in failure."}}
	}
	return nil
}

// podSummary is what the READY, STATUS and RESTARTS cells are made of.
type podSummary struct {
	ready, total int
	status       string
	restarts     int
	lastRestart  metav1.Time
}

// restartTally adds up restart counts and remembers when the latest terminated run ended.
type restartTally struct {
	count int
	last  metav1.Time
}

func (r *restartTally) add(cs *corev1.ContainerStatus) {
	r.count += int(cs.RestartCount)
	if t := cs.LastTerminationState.Terminated; t != nil && r.last.Before(&t.FinishedAt) {
		r.last = t.FinishedAt
	}
}

// summarizePod follows kube-apiserver's pod printer:
//  1. the status starts as the phase, replaced by status.reason and then by
//     SchedulingGated when the scheduler reports the pod gated;
//  2. the first init container that has neither exited 0 nor started as a sidecar decides
//     an Init:... status and marks the pod as initializing;
//  3. unless it is initializing (and not Initialized), the app containers are walked last to
//     first and the first one listed that is waiting or terminated decides the status;
//  4. a deleted pod shows Unknown on a lost node, or Terminating until its phase is final.
//
// Restarts count every container walked; once the app containers are reached, ordinary
// init containers no longer count, only sidecars do.
func summarizePod(pod *corev1.Pod) podSummary {
	s := podSummary{total: len(pod.Spec.Containers)}
	sidecars := make(map[string]bool)
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			sidecars[pod.Spec.InitContainers[i].Name] = true
			s.total++
		}
	}

	s.status = string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		s.status = pod.Status.Reason
	}
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Reason == corev1.PodReasonSchedulingGated {
			s.status = corev1.PodReasonSchedulingGated
		}
	}

	var all, sidecarRestarts restartTally
	initializing := false
	for i := range pod.Status.InitContainerStatuses {
		cs := &pod.Status.InitContainerStatuses[i]
		all.add(cs)
		if sidecars[cs.Name] {
			sidecarRestarts.add(cs)
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode == 0 {
			continue
		}
		if sidecars[cs.Name] && cs.Started != nil && *cs.Started {
			if cs.Ready {
				s.ready++
			}
			continue
		}
		switch {
		case cs.State.Terminated != nil:
			s.status = "Init:" + terminationSummary(cs.State.Terminated)
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "PodInitializing":
			s.status = "Init:" + cs.State.Waiting.Reason
		default:
			s.status = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break
	}

	restarts := all
	if !initializing || firstConditionTrue(pod.Status.Conditions, corev1.PodInitialized) {
		restarts = sidecarRestarts
		running := false
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := &pod.Status.ContainerStatuses[i]
			restarts.add(cs)
			switch {
			case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
				s.status = cs.State.Waiting.Reason
			case cs.State.Terminated != nil:
				s.status = terminationSummary(cs.State.Terminated)
			case cs.Ready && cs.State.Running != nil:
				running = true
				s.ready++
			}
		}
		// A container that is still up outweighs one that completed.
		if s.status == "Completed" && running {
			if anyConditionTrue(pod.Status.Conditions, corev1.PodReady) {
				s.status = "Running"
			} else {
				s.status = "NotReady"
			}
		}
	}
	s.restarts, s.lastRestart = restarts.count, restarts.last

	if pod.DeletionTimestamp != nil {
		switch {
		case pod.Status.Reason == nodeLostReason:
			s.status = "Unknown"
		case pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed:
			s.status = "Terminating"
		}
	}
	return s
}

// terminationSummary names a terminated state by its reason, else by signal or exit code.
func terminationSummary(t *corev1.ContainerStateTerminated) string {
	switch {
	case t.Reason != "":
		return t.Reason
	case t.Signal != 0:
		return fmt.Sprintf("Signal:%d", t.Signal)
	default:
		return fmt.Sprintf("ExitCode:%d", t.ExitCode)
	}
}

// isSidecar reports whether an init container keeps running beside the app containers
// (restartPolicy Always), which makes it count in READY and RESTARTS.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// firstConditionTrue reports whether the first condition of type t is True.
func firstConditionTrue(conds []corev1.PodCondition, t corev1.PodConditionType) bool {
	for _, c := range conds {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// anyConditionTrue reports whether some condition of type t is True.
func anyConditionTrue(conds []corev1.PodCondition, t corev1.PodConditionType) bool {
	for _, c := range conds {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// readinessGates renders "<true>/<gates>", counting the first condition of each gate's type.
func readinessGates(pod *corev1.Pod) string {
	if len(pod.Spec.ReadinessGates) == 0 {
		return "<none>"
	}
	passed := 0
	for _, gate := range pod.Spec.ReadinessGates {
		for _, cond := range pod.Status.Conditions {
			if cond.Type == gate.ConditionType {
				if cond.Status == corev1.ConditionTrue {
					passed++
				}
				break
			}
		}
	}
	return fmt.Sprintf("%d/%d", passed, len(pod.Spec.ReadinessGates))
}
