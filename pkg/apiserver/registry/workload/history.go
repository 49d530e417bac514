package workload

import "k8s.io/apimachinery/pkg/util/validation/field"

// ValidateRevisionHistoryLimit checks the revisionHistoryLimit of a
// workload that keeps old revisions (Deployments' ReplicaSets, the
// ControllerRevisions of StatefulSets and DaemonSets): zero keeps none and
// is valid, a negative count is not; nil is left to defaulting.
func ValidateRevisionHistoryLimit(limit *int32, fld *field.Path) field.ErrorList {
	if limit == nil {
		return nil
	}
	return ValidateNonnegative(*limit, fld)
}
