// Package scheduler is fakecluster's default-scheduler: it binds pending
// pods through the binding subresource to nodes that fit them (nodeName,
// nodeSelector, required node affinity, taints and tolerations,
// unschedulable nodes, resource requests against allocatable, pod count,
// scheduling gates), preferring the least allocated node, and records
// kube-scheduler's Scheduled and FailedScheduling events and the
// PodScheduled condition. It talks to the API only over client-go. It is
// not kube-scheduler's framework: no preemption, scoring plugins or
// inter-pod affinity.
package scheduler
