// Package controllerrevision serves apps/v1 ControllerRevisions, the
// immutable snapshots of a StatefulSet's or DaemonSet's template that their
// controllers roll out and back to, with upstream's validation and table.
package controllerrevision
