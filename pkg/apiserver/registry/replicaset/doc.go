// Package replicaset serves apps/v1 ReplicaSets with their status and
// scale subresources, upstream's defaults, validation and table. The
// replicaset controller (pkg/controller/replicaset) keeps their pods.
package replicaset
