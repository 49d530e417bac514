// Package daemonset serves apps/v1 DaemonSets with their status
// subresource, upstream's defaults, validation and table, and keeps their
// deprecated template-generation annotation. It does not place their pods
// on nodes; that is a controller's job.
package daemonset
