package deployment

import (
	"cmp"
	"errors"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The annotations the controller keeps on Deployments and their
// ReplicaSets.
const (
	revisionAnnotation        = "deployment.kubernetes.io/revision"
	revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	maxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
	lastAppliedAnnotation     = "kubectl.kubernetes.io/last-applied-configuration"
	rollbackToAnnotation      = "deprecated.deployment.rollback.to"
	// hashLabel is the label that tells a ReplicaSet's pods from its
	// siblings'.
	hashLabel = appsv1.DefaultDeploymentUniqueLabelKey
)

// replicas is a ReplicaSet's spec.replicas.
func replicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

// sum adds f over the ReplicaSets, skipping nil ones.
func sum(sets []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSet) int32) int32 {
	var n int32
	for _, rs := range sets {
		if rs != nil {
			n += f(rs)
		}
	}
	return n
}

func specReplicas(rs *appsv1.ReplicaSet) int32      { return replicas(rs) }
func statusReplicas(rs *appsv1.ReplicaSet) int32    { return rs.Status.Replicas }
func readyReplicas(rs *appsv1.ReplicaSet) int32     { return rs.Status.ReadyReplicas }
func availableReplicas(rs *appsv1.ReplicaSet) int32 { return rs.Status.AvailableReplicas }

// terminating sums the ReplicaSets' terminating pods; nil if none reports
// them.
func terminating(sets []*appsv1.ReplicaSet) *int32 {
	var total *int32
	for _, rs := range sets {
		if rs != nil && rs.Status.TerminatingReplicas != nil {
			if total == nil {
				total = new(int32)
			}
			*total += *rs.Status.TerminatingReplicas
		}
	}
	return total
}

// active are the ReplicaSets that should have pods.
func active(sets []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range sets {
		if replicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreation orders ReplicaSets oldest first, then by name.
func byCreation(a, b *appsv1.ReplicaSet) int {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.Name, b.Name)
}

// revision is a ReplicaSet's revision annotation, 0 if it has none.
func revision(rs *appsv1.ReplicaSet) int64 {
	n, err := strconv.ParseInt(rs.Annotations[revisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// byRevision orders ReplicaSets by revision, then by creation.
func byRevision(a, b *appsv1.ReplicaSet) int {
	if c := cmp.Compare(revision(a), revision(b)); c != 0 {
		return c
	}
	return byCreation(a, b)
}

// annotatedInt is a ReplicaSet's integer annotation.
func annotatedInt(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return int32(n), err == nil
}

// isRolling reports whether d rolls updates.
func isRolling(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType && d.Spec.Strategy.RollingUpdate != nil
}

// fenceposts are d's surge and unavailable budgets in pods: surge rounded
// up, unavailable down, and unavailable 1 if both come out 0, so that a
// rollout can always move.
func fenceposts(d *appsv1.Deployment) (surge, unavailable int32) {
	desired := int(*d.Spec.Replicas)
	ru := d.Spec.Strategy.RollingUpdate
	s, _ := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(ru.MaxSurge, intstr.FromInt32(0)), desired, true)
	u, _ := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(ru.MaxUnavailable, intstr.FromInt32(0)), desired, false)
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

// maxSurge is how many pods over spec.replicas a rollout may run.
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	s, _ := fenceposts(d)
	return s
}

// maxUnavailable is how many of spec.replicas may be unavailable.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRolling(d) || *d.Spec.Replicas == 0 {
		return 0
	}
	_, u := fenceposts(d)
	return min(u, *d.Spec.Replicas)
}

// sorted returns a sorted copy.
func sorted(sets []*appsv1.ReplicaSet, order func(a, b *appsv1.ReplicaSet) int) []*appsv1.ReplicaSet {
	out := slices.Clone(sets)
	slices.SortStableFunc(out, order)
	return out
}

// errReplaced is why a Deployment deleted or replaced since the cache saw
// it adopts nothing.
var errReplaced = errors.New("the deployment was deleted or replaced: not adopting")
