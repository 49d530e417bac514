package pod

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func pod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: tablestest.ObjectMeta(name, 5*time.Minute),
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func scheduled(p *corev1.Pod) { p.Spec.NodeName = "node-1" }

func running(p *corev1.Pod) {
	scheduled(p)
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.5"}}
	p.Status.PodIP = "10.244.1.5"
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue},
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{runningReady("app")}
}

func runningReady(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: tablestest.Ago(4 * time.Minute)}},
	}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name, reason string, exitCode, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: exitCode, Signal: signal, FinishedAt: tablestest.Ago(time.Minute),
	}}}
}

func withRestarts(cs corev1.ContainerStatus, n int32, lastFinished time.Duration) corev1.ContainerStatus {
	cs.RestartCount = n
	cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: tablestest.Ago(lastFinished)}
	return cs
}

func sidecar(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "envoy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}
}

func TestTable(t *testing.T) {
	t.Parallel()
	deleted := tablestest.Ago(10 * time.Second)
	tablestest.Golden{Name: "pods", Table: table}.Check(t, []tablestest.Case{
		{Name: "pending without container statuses", Obj: pod("pending")},
		{Name: "scheduling gated", Obj: pod("gated", func(p *corev1.Pod) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
		})},
		{Name: "nominated node while preempting", Obj: pod("nominated", func(p *corev1.Pod) {
			p.Status.NominatedNodeName = "node-2"
		})},
		{Name: "container creating", Obj: pod("creating", scheduled, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ContainerCreating")}
		})},
		{Name: "running and ready", Obj: pod("web", running)},
		{Name: "dual-stack shows only the first pod IP", Obj: pod("web-dual", running, func(p *corev1.Pod) {
			p.Status.PodIPs = []corev1.PodIP{{IP: "fd00:10:244::5"}, {IP: "10.244.1.5"}}
		})},
		{Name: "running but not ready", Obj: pod("not-ready", running, func(p *corev1.Pod) {
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses[0].Ready = false
		})},
		{Name: "readiness gates, one of two true", Obj: pod("gates", running, func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/dns"}}
			p.Status.Conditions = append(p.Status.Conditions,
				corev1.PodCondition{Type: "example.com/lb", Status: corev1.ConditionTrue},
				corev1.PodCondition{Type: "example.com/dns", Status: corev1.ConditionFalse})
		})},
		{Name: "succeeded shows Completed", Obj: pod("job-x", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
		})},
		{Name: "failed with Error", Obj: pod("job-y", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Error", 1, 0)}
		})},
		{Name: "evicted", Obj: pod("evicted", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.Reason = "Evicted"
			p.Status.Message = "The node was low on resource: memory."
		})},
		{Name: "crash loop with restarts and last termination", Obj: pod("crashy", running, func(p *corev1.Pod) {
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses = []corev1.ContainerStatus{withRestarts(waiting("app", "CrashLoopBackOff"), 5, 3*time.Minute)}
		})},
		{Name: "restarts without a last termination time", Obj: pod("restarted", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].RestartCount = 2
		})},
		{Name: "terminated by signal without reason", Obj: pod("killed", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "", 137, 9)}
		})},
		{Name: "terminated with exit code without reason", Obj: pod("exited", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "", 2, 0)}
		})},
		{Name: "one container completed while another runs, pod ready", Obj: pod("mixed-ready", running, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "helper"})
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0), runningReady("helper")}
		})},
		{Name: "one container completed while another runs, pod not ready", Obj: pod("mixed-not-ready", running, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "helper"})
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0), runningReady("helper")}
		})},
		{Name: "init container running", Obj: pod("init-running", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "setup", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
		})},
		{Name: "second of two init containers waiting to initialize", Obj: pod("init-second", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "one"}, {Name: "two"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("one", "Completed", 0, 0), waiting("two", "PodInitializing")}
		})},
		{Name: "init container failed", Obj: pod("init-error", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(terminated("setup", "Error", 1, 0), 3, 2*time.Minute)}
		})},
		{Name: "init container crash looping", Obj: pod("init-crash", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(waiting("setup", "CrashLoopBackOff"), 4, 30*time.Second)}
		})},
		{Name: "init container exit code without reason", Obj: pod("init-exit", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("setup", "", 3, 0)}
		})},
		{Name: "init container killed by signal", Obj: pod("init-signal", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("setup", "", 0, 15)}
			p.Status.InitContainerStatuses[0].State.Terminated.ExitCode = 143
		})},
		{Name: "init done, app running, init restarts not counted", Obj: pod("init-done", running, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(terminated("setup", "Completed", 0, 0), 2, time.Minute)}
		})},
		{Name: "sidecar not yet started", Obj: pod("sidecar-starting", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{sidecar("proxy")}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "proxy", Started: ptr.To(false), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
		})},
		{Name: "sidecar started, second init container running", Obj: pod("sidecar-init", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{sidecar("proxy"), {Name: "migrate"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{
				withRestarts(runningReady("proxy"), 1, 90*time.Second),
				{Name: "migrate", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			}
		})},
		{Name: "sidecar and app running, sidecar restarts counted", Obj: pod("sidecar-running", running, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}, sidecar("proxy")}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{
				withRestarts(terminated("setup", "Completed", 0, 0), 7, 20*time.Minute),
				withRestarts(runningReady("proxy"), 2, 2*time.Minute),
			}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{withRestarts(runningReady("app"), 1, 3*time.Minute)}
		})},
		{Name: "terminating", Obj: pod("going", running, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
		})},
		{Name: "deleted on a lost node", Obj: pod("lost", running, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
			p.Status.Reason = nodeLostReason
		})},
		{Name: "deleted after it succeeded", Obj: pod("done-deleted", scheduled, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
		})},
		{Name: "no creation timestamp", Obj: pod("ageless", func(p *corev1.Pod) {
			p.CreationTimestamp = metav1.Time{}
		})},
		{Name: "list with paging metadata", Obj: &corev1.PodList{
			ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "token-1", RemainingItemCount: ptr.To[int64](3)},
			Items:    []corev1.Pod{*pod("a", running), *pod("b")},
		}},
		{Name: "empty list", Obj: &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "43"}}},
	})
}
