// Package workload holds what the registries of the workload kinds
// (apps/v1 Deployments, ReplicaSets, StatefulSets, DaemonSets and batch/v1
// Jobs, CronJobs) share: checks of a label selector and of rolling-update
// bounds with upstream's texts, and the CONTAINERS, IMAGES and SELECTOR
// cells of their wide tables.
package workload
