package nodelifecycle

import (
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	nodeutil "k8s.io/component-helpers/node/util"
)

// Upstream's texts for the conditions of a Node whose kubelet went quiet.
const (
	reasonStatusUnknown      = "NodeStatusUnknown"
	messageStatusUnknown     = "Kubelet stopped posting node status."
	reasonStatusNeverUpdated = "NodeStatusNeverUpdated"
	messageStatusNeverPosted = "Kubelet never posted node status."
)

// health is what the controller last saw of a Node's kubelet. Times are
// the controller's own clock, not the kubelet's heartbeats, so that clock
// skew between the two does not matter.
type health struct {
	// probe is when the kubelet was last seen alive: a new Ready heartbeat
	// or a renewed Lease.
	probe metav1.Time
	// readyTransition is when the Ready condition was last seen to change.
	readyTransition metav1.Time
	// status is the Node's status as last seen.
	status *corev1.NodeStatus
	// lease is the Lease as last seen renewed.
	lease *coordinationv1.Lease
}

// healthMap holds the health of every Node by name, shared by the health
// monitor's workers and the pod workers.
type healthMap struct {
	mu sync.Mutex
	m  map[string]*health
}

// get returns a copy of Node name's health, or nil.
func (h *healthMap) get(name string) *health {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.m[name]
	if cur == nil {
		return nil
	}
	cp := *cur
	cp.status = cur.status.DeepCopy()
	cp.lease = cur.lease.DeepCopy()
	return &cp
}

func (h *healthMap) set(name string, v *health) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[name] = v
}

func (h *healthMap) remove(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, name)
}

// observe returns the health of node after seeing it, and its Lease
// (nil if it has none), at now, given saved, the health seen before (nil
// on first sight). It follows upstream's tryUpdateNodeHealth: a new Ready
// heartbeat or a Lease renewed since the last one seen is a sign of life;
// a Node seen for the first time is given the benefit of the doubt from
// now, or from its creation if it has never posted a Ready condition.
func observe(saved *health, node *corev1.Node, lease *coordinationv1.Lease, now metav1.Time) *health {
	_, ready := nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady)
	var savedReady *corev1.NodeCondition
	var savedLease *coordinationv1.Lease
	if saved != nil {
		_, savedReady = nodeutil.GetNodeCondition(saved.status, corev1.NodeReady)
		savedLease = saved.lease
	}
	h := &health{status: node.Status.DeepCopy(), lease: savedLease}
	switch {
	case saved == nil && ready == nil:
		h.probe, h.readyTransition = node.CreationTimestamp, node.CreationTimestamp
	case saved == nil, savedReady == nil && ready != nil:
		// First sight of the Node or of its Ready condition.
		h.probe, h.readyTransition = now, now
	case ready != nil && !savedReady.LastHeartbeatTime.Equal(&ready.LastHeartbeatTime):
		h.probe, h.readyTransition = now, saved.readyTransition
		if !savedReady.LastTransitionTime.Equal(&ready.LastTransitionTime) {
			h.readyTransition = now
		}
	default:
		// No new heartbeat, or a Ready condition that went away (which
		// upstream, in effect, treats the same way).
		h.probe, h.readyTransition = saved.probe, saved.readyTransition
	}
	if lease != nil && (savedLease == nil || savedLease.Spec.RenewTime.Before(lease.Spec.RenewTime)) {
		h.lease = lease
		h.probe = now
	}
	return h
}

// gracePeriod is how long node may stay silent: the startup grace period
// until it has posted a Ready condition, then the monitor grace period.
func gracePeriod(node *corev1.Node, opts Options) time.Duration {
	if _, ready := nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady); ready == nil {
		return opts.NodeStartupGracePeriod
	}
	return opts.NodeMonitorGracePeriod
}

// markUnknown sets node's Ready, MemoryPressure, DiskPressure and
// PIDPressure conditions Unknown as of now, with upstream's reasons,
// adding those the kubelet never posted. NetworkUnavailable is left alone:
// the network, not the kubelet, owns it.
func markUnknown(node *corev1.Node, now metav1.Time) {
	for _, t := range []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		_, c := nodeutil.GetNodeCondition(&node.Status, t)
		switch {
		case c == nil:
			node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
				Type: t, Status: corev1.ConditionUnknown,
				Reason: reasonStatusNeverUpdated, Message: messageStatusNeverPosted,
				LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: now,
			})
		case c.Status != corev1.ConditionUnknown:
			c.Status = corev1.ConditionUnknown
			c.Reason, c.Message = reasonStatusUnknown, messageStatusUnknown
			c.LastTransitionTime = now
		}
	}
}
