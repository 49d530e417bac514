// Package scheduler is fakecluster's default-scheduler: it places each
// pending pod whose spec.schedulerName is default-scheduler on a node that
// fits it, with kube-scheduler v1.37's default profile where fakecluster
// has what it reads (nodeSelector and node affinity, taints and
// tolerations, unschedulable nodes, host ports, resource requests against
// allocatable, pod count, scheduling gates, least allocated and balanced
// scoring, priority order and preemption, and volume binding: a pod's
// claims must exist, Immediate ones be bound, bound ones' volumes allow
// the node, and WaitForFirstConsumer ones find a free volume on the node
// or a class to provision from, whereupon the claim gets the
// volume.kubernetes.io/selected-node annotation and the pod is bound only
// once its claims are), binds it through the binding subresource, and
// reports as kube-scheduler does: Scheduled and FailedScheduling events
// (events.k8s.io), and the PodScheduled condition with upstream's FitError
// message. It keeps its own picture of the nodes, updated from its own
// bindings at once, so that it binds hundreds of pods a second, and a pod
// waiting for its volumes holds up no other. It talks to the API only over
// client-go. It is not kube-scheduler's plugin framework or configuration,
// and has no DRA allocation, storage capacity or volume limit checks,
// ReadWriteOncePod conflicts, pod topology spread or inter-pod affinity.
package scheduler
