// Package statefulset serves apps/v1 StatefulSets with their status and
// scale subresources, upstream's defaults, validation and table. It does
// not create their pods or claims; that is a controller's job.
package statefulset
