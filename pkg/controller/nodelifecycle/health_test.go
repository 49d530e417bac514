package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(t0.Add(d)) }
	created := at(-time.Hour)
	now := at(10 * time.Minute)
	ready := func(hb, tr time.Duration) *corev1.NodeStatus {
		return &corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: at(hb), LastTransitionTime: at(tr),
		}}}
	}
	lease := func(renew time.Duration) *coordinationv1.Lease {
		r := metav1.NewMicroTime(t0.Add(renew))
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: &r}}
	}
	tests := []struct {
		name                string
		saved               *health
		status              *corev1.NodeStatus
		lease, savedLease   *coordinationv1.Lease
		wantProbe, wantTran metav1.Time
	}{
		{name: "first sight, never posted: from creation", status: &corev1.NodeStatus{}, wantProbe: created, wantTran: created},
		{name: "first sight with a Ready condition: from now", status: ready(0, 0), wantProbe: now, wantTran: now},
		{
			name:      "first Ready condition after none",
			saved:     &health{probe: created, readyTransition: created, status: &corev1.NodeStatus{}},
			status:    ready(0, 0),
			wantProbe: now, wantTran: now,
		},
		{
			name:      "same heartbeat, no lease: nothing new",
			saved:     &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status:    ready(0, 0),
			wantProbe: at(time.Minute), wantTran: at(0),
		},
		{
			name:      "new heartbeat, same transition",
			saved:     &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status:    ready(5*time.Minute, 0),
			wantProbe: now, wantTran: at(0),
		},
		{
			name:      "new heartbeat and transition",
			saved:     &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status:    ready(5*time.Minute, 5*time.Minute),
			wantProbe: now, wantTran: now,
		},
		{
			name:   "renewed lease",
			saved:  &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status: ready(0, 0), savedLease: lease(time.Minute), lease: lease(2 * time.Minute),
			wantProbe: now, wantTran: at(0),
		},
		{
			name:   "lease not renewed",
			saved:  &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status: ready(0, 0), savedLease: lease(time.Minute), lease: lease(time.Minute),
			wantProbe: at(time.Minute), wantTran: at(0),
		},
		{
			name:   "a lease seen for the first time",
			saved:  &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status: ready(0, 0), lease: lease(-time.Hour),
			wantProbe: now, wantTran: at(0),
		},
		{
			name:      "Ready condition gone: the old times stay",
			saved:     &health{probe: at(time.Minute), readyTransition: at(0), status: ready(0, 0)},
			status:    &corev1.NodeStatus{},
			wantProbe: at(time.Minute), wantTran: at(0),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.saved != nil {
				tc.saved.lease = tc.savedLease
			}
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: created}, Status: *tc.status}
			got := observe(tc.saved, node, tc.lease, now)
			if !got.probe.Equal(&tc.wantProbe) || !got.readyTransition.Equal(&tc.wantTran) {
				t.Errorf("probe, readyTransition = %v, %v; want %v, %v", got.probe, got.readyTransition, tc.wantProbe, tc.wantTran)
			}
			if diff := cmp.Diff(tc.status, got.status); diff != "" {
				t.Errorf("saved status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGracePeriod(t *testing.T) {
	t.Parallel()
	opts := Options{NodeMonitorGracePeriod: time.Second, NodeStartupGracePeriod: time.Minute}
	if got := gracePeriod(&corev1.Node{}, opts); got != time.Minute {
		t.Errorf("never posted: grace %v, want the startup grace period", got)
	}
	posted := &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}}}
	if got := gracePeriod(posted, opts); got != time.Second {
		t.Errorf("posted: grace %v, want the monitor grace period", got)
	}
}

func TestMarkUnknown(t *testing.T) {
	t.Parallel()
	created := metav1.NewTime(time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC))
	before := metav1.NewTime(time.Date(2026, 5, 1, 11, 30, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: created},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: "RouteCreated", LastTransitionTime: before},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status",
				LastHeartbeatTime: before, LastTransitionTime: before},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionUnknown, Reason: "Custom", LastHeartbeatTime: before, LastTransitionTime: before},
		}},
	}
	markUnknown(node, now)
	want := []corev1.NodeCondition{
		{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: "RouteCreated", LastTransitionTime: before},
		{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status.",
			LastHeartbeatTime: before, LastTransitionTime: now},
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionUnknown, Reason: "Custom", LastHeartbeatTime: before, LastTransitionTime: before},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionUnknown, Reason: "NodeStatusNeverUpdated", Message: "Kubelet never posted node status.",
			LastHeartbeatTime: created, LastTransitionTime: now},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionUnknown, Reason: "NodeStatusNeverUpdated", Message: "Kubelet never posted node status.",
			LastHeartbeatTime: created, LastTransitionTime: now},
	}
	if diff := cmp.Diff(want, node.Status.Conditions); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}
