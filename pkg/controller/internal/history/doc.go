// Package history keeps the ControllerRevisions of the workload controllers
// that record their pod templates as revisions (DaemonSets and
// StatefulSets), as upstream's controller history does: claiming the
// revisions an owner's selector matches, the revision data kubectl rollout
// history and undo read (a strategic merge patch replacing spec.template),
// finding the revisions equal to some data, numbering the next revision,
// creating one under a name that may collide, renumbering, and deleting
// the oldest revisions beyond a history limit that nothing still runs.
// It is not for deciding which revision is current, nor for naming one
// after its template (each controller does that its own way), nor for pods.
package history
