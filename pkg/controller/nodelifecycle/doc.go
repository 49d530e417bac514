// Package nodelifecycle is kube-controller-manager's node-lifecycle-controller:
// it keeps each Node's condition taints (NoSchedule for not-ready,
// unreachable, memory-, disk- and pid-pressure, network-unavailable and
// spec.unschedulable), marks a Node Unknown when its kubelet stops renewing
// its Lease and posting status, gives such a Node the NoExecute taint of its
// Ready condition and marks its pods not ready. It does not evict pods
// (package tainteviction deletes the pods that do not tolerate NoExecute
// taints) nor delete pods of deleted Nodes (package podgc does).
//
// What it does, as upstream:
//
//   - On every Node change the NoSchedule taints are recomputed from the
//     conditions: Ready False gives node.kubernetes.io/not-ready, Ready
//     Unknown node.kubernetes.io/unreachable, MemoryPressure, DiskPressure,
//     PIDPressure and NetworkUnavailable True their own keys, and
//     spec.unschedulable (kubectl cordon) node.kubernetes.io/unschedulable.
//     Taints of those keys that no condition calls for are removed, so a
//     Node that has no conditions yet loses the not-ready taint the
//     TaintNodesByCondition admission gave it; other taints are left alone.
//   - Every NodeMonitorPeriod each Node's health is checked: a Node is
//     healthy while its kubelet renews its Lease in kube-node-lease or
//     posts a new Ready heartbeat. After NodeMonitorGracePeriod without
//     either (NodeStartupGracePeriod for a Node that never posted a Ready
//     condition) its Ready, MemoryPressure, DiskPressure and PIDPressure
//     conditions become Unknown with reason NodeStatusUnknown, "Kubelet
//     stopped posting node status." (NodeStatusNeverUpdated, "Kubelet never
//     posted node status.", for conditions never posted), the Node gets
//     the event NodeNotReady ("Node worker0 status is now: NodeNotReady",
//     source node-controller) and its pods' Ready condition is set False
//     with a Warning NodeNotReady event on each pod.
//   - A Node whose Ready condition is False or Unknown gets the NoExecute
//     taint of that state (not-ready or unreachable, never both), through
//     a queue per zone rate limited to NodeEvictionRate Nodes a second; a
//     Node that is Ready again loses both at once.
//   - Zones as upstream: when every Node of every zone is not ready the
//     controller assumes the control plane, not the Nodes, is cut off, and
//     removes the NoExecute taints and stops adding them ("master
//     disruption mode"); so a one-Node cluster whose kubelet stops gets the
//     NoSchedule taint but never the NoExecute one. A zone with more than
//     two Nodes of which UnhealthyZoneThreshold are not ready is tainted at
//     SecondaryNodeEvictionRate if it has more than LargeClusterSizeThreshold
//     Nodes, and not at all otherwise.
//   - Nodes get the events RegisteredNode ("Node worker0 event: Registered
//     Node worker0 in Controller") when first seen and RemovingNode when
//     gone, and the beta.kubernetes.io/os and /arch labels from the stable
//     ones.
package nodelifecycle
