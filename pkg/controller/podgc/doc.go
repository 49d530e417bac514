// Package podgc is kube-controller-manager's pod-garbage-collector-controller:
// every GCCheckPeriod it force-deletes the pods no kubelet will ever
// finish. It does not evict pods from unhealthy Nodes (package
// tainteviction does) nor delete pods by owner (the garbage collector does).
//
// What it deletes, in upstream's order, each first marked Failed (unless
// already Succeeded or Failed) through pods/status and then deleted with
// grace period 0:
//
//   - finished pods (Succeeded or Failed) beyond TerminatedPodGCThreshold
//     (--terminated-pod-gc-threshold, 12500), evicted ones first, then the
//     oldest;
//   - terminating pods on a Node that is not ready and has the
//     node.kubernetes.io/out-of-service taint;
//   - pods bound to a Node that does not exist, once the Node has been
//     missing for QuarantineTime (40s) and a live read confirms it, with
//     the condition DisruptionTarget True, reason DeletionByPodGC, message
//     "PodGC: node no longer exists";
//   - terminating pods that were never bound to a Node.
package podgc
