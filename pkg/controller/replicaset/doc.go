// Package replicaset is kube-controller-manager's replicaset-controller,
// written over client-go: it keeps the pods of each ReplicaSet at its
// spec.replicas, creating them from its template in slow-start batches and
// deleting the least valuable first (unscheduled, pending, not ready,
// lowest controller.kubernetes.io/pod-deletion-cost, doubled up on a node,
// ready for less time, restarted more, newer), adopts matching orphans and
// releases pods that stopped matching, and reports the counts and the
// ReplicaFailure condition in status. Expectations keep a sync from acting
// again on pods its informer has not seen yet.
package replicaset
