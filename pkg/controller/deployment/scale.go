package deployment

import (
	"context"
	"math"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scaleTo sets rs's replicas, and its replica annotations to d's, and
// reports whether its size changed; a change of size is recorded as an
// event on d.
func (c *Controller) scaleTo(ctx context.Context, rs *appsv1.ReplicaSet, n int32, d *appsv1.Deployment) (bool, *appsv1.ReplicaSet, error) {
	from := replicas(rs)
	resize := from != n
	updated := rs.DeepCopy()
	annotations := setReplicasAnnotations(updated, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d))
	if !resize && !annotations {
		return false, rs, nil
	}
	updated.Spec.Replicas = &n
	updated, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		return false, rs, err
	}
	if resize {
		direction := "up"
		if n < from {
			direction = "down"
		}
		c.events.Eventf(d, corev1.EventTypeNormal, eventScalingReplicaSet, "Scaled %s replica set %s from %d to %d", direction, updated.Name, from, n)
	}
	return resize, updated, nil
}

// isScaling reports whether d's replicas changed since its active
// ReplicaSets were last sized (their desired-replicas annotation).
func isScaling(d *appsv1.Deployment, all []*appsv1.ReplicaSet) bool {
	for _, rs := range active(all) {
		if desired, ok := annotatedInt(rs, desiredReplicasAnnotation); ok && desired != *d.Spec.Replicas {
			return true
		}
	}
	return false
}

// scale resizes d's ReplicaSets to its replicas: the only active one (or
// the newest) takes all of them; a saturated new one leaves the old ones
// none; otherwise, in a rolling update, the change is shared in
// proportion to their sizes, largest first, leftovers to the first.
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) error {
	if one := activeOrLatest(newRS, old); one != nil {
		if replicas(one) == *d.Spec.Replicas {
			return nil
		}
		_, _, err := c.scaleTo(ctx, one, *d.Spec.Replicas, d)
		return err
	}
	if saturated(d, newRS) {
		for _, rs := range active(old) {
			if _, _, err := c.scaleTo(ctx, rs, 0, d); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(d) {
		return nil
	}
	sets := active(append(slices.Clone(old), newRS))
	var allowed int32
	if *d.Spec.Replicas > 0 {
		allowed = *d.Spec.Replicas + maxSurge(d)
	}
	toAdd := allowed - sum(sets, specReplicas)
	switch {
	case toAdd > 0:
		// Same sizes: newer first when scaling up.
		sets = sorted(sets, func(a, b *appsv1.ReplicaSet) int {
			if replicas(a) != replicas(b) {
				return int(replicas(b) - replicas(a))
			}
			return byCreation(b, a)
		})
	case toAdd < 0:
		// Same sizes: older first when scaling down.
		sets = sorted(sets, func(a, b *appsv1.ReplicaSet) int {
			if replicas(a) != replicas(b) {
				return int(replicas(b) - replicas(a))
			}
			return byCreation(a, b)
		})
	}
	sizes := make([]int32, len(sets))
	var added int32
	for i, rs := range sets {
		sizes[i] = replicas(rs)
		if toAdd != 0 {
			p := proportion(rs, d, toAdd, added)
			sizes[i] += p
			added += p
		}
	}
	for i, rs := range sets {
		if i == 0 && toAdd != 0 {
			sizes[i] = max(sizes[i]+toAdd-added, 0)
		}
		if _, _, err := c.scaleTo(ctx, rs, sizes[i], d); err != nil {
			return err
		}
	}
	return nil
}

// proportion is rs's share of toAdd, of which added is handed out.
func proportion(rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if replicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := fraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

// fraction is how much rs grows or shrinks when its Deployment's maximum
// size goes from the one it was sized for (its max-replicas annotation)
// to the current one.
func fraction(rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	if *d.Spec.Replicas == 0 {
		return -replicas(rs)
	}
	maxNow := *d.Spec.Replicas + maxSurge(d)
	maxBefore, ok := annotatedInt(rs, maxReplicasAnnotation)
	if !ok || maxBefore == 0 {
		maxBefore = d.Status.Replicas
		if maxBefore == 0 {
			return 0
		}
	}
	size := float64(replicas(rs)*maxNow) / float64(maxBefore)
	return int32(math.Round(size)) - replicas(rs)
}

// activeOrLatest is the only ReplicaSet with replicas, or the newest of
// all when none has any, or nil when several have.
func activeOrLatest(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(old) == 0 {
		return nil
	}
	newest := sorted(old, func(a, b *appsv1.ReplicaSet) int { return byCreation(b, a) })
	all := active(append(slices.Clone(newest), newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return newest[0]
	case 1:
		return all[0]
	}
	return nil
}

// saturated reports whether the new ReplicaSet has all of d's replicas,
// available.
func saturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := annotatedInt(rs, desiredReplicasAnnotation)
	return ok && desired == *d.Spec.Replicas && replicas(rs) == *d.Spec.Replicas && rs.Status.AvailableReplicas == *d.Spec.Replicas
}
