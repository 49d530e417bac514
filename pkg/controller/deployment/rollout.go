package deployment

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// rolling moves d's replicas to its new ReplicaSet: scale the new one up
// within maxSurge, else the old ones down within maxUnavailable
// (unhealthy replicas first), and once complete delete the history beyond
// revisionHistoryLimit.
func (c *Controller) rolling(ctx context.Context, d *appsv1.Deployment, sets []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSets(ctx, d, sets, true)
	if err != nil {
		return err
	}
	all := append(slices.Clone(old), newRS)
	up, err := c.reconcileNew(ctx, all, newRS, d)
	if err != nil {
		return err
	}
	if up {
		return c.syncRolloutStatus(ctx, all, newRS, d)
	}
	down, err := c.reconcileOld(ctx, all, active(old), newRS, d)
	if err != nil {
		return err
	}
	if down {
		return c.syncRolloutStatus(ctx, all, newRS, d)
	}
	if complete(d, &d.Status) {
		if err := c.cleanup(ctx, old, d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, all, newRS, d)
}

// reconcileNew scales the new ReplicaSet towards d's replicas.
func (c *Controller) reconcileNew(ctx context.Context, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	if replicas(newRS) == *d.Spec.Replicas {
		return false, nil
	}
	if replicas(newRS) > *d.Spec.Replicas {
		scaled, _, err := c.scaleTo(ctx, newRS, *d.Spec.Replicas, d)
		return scaled, err
	}
	scaled, _, err := c.scaleTo(ctx, newRS, newReplicas(d, all, newRS), d)
	return scaled, err
}

// reconcileOld scales old ReplicaSets down as far as the available pods
// allow: first the replicas that are not available anyway, then, oldest
// first, down to minAvailable.
func (c *Controller) reconcileOld(ctx context.Context, all, old []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	if sum(old, specReplicas) == 0 {
		return false, nil
	}
	minAvailable := *d.Spec.Replicas - maxUnavailable(d)
	newUnavailable := replicas(newRS) - newRS.Status.AvailableReplicas
	maxDown := sum(all, specReplicas) - minAvailable - newUnavailable
	if maxDown <= 0 {
		return false, nil
	}
	old, cleaned, err := c.cleanupUnhealthy(ctx, old, d, maxDown)
	if err != nil {
		return false, err
	}
	scaled, err := c.scaleDownOld(ctx, append(slices.Clone(old), newRS), old, d)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthy takes up to most unavailable replicas off the old
// ReplicaSets, oldest first.
func (c *Controller) cleanupUnhealthy(ctx context.Context, old []*appsv1.ReplicaSet, d *appsv1.Deployment, most int32) ([]*appsv1.ReplicaSet, int32, error) {
	old = sorted(old, byCreation)
	var total int32
	for i, rs := range old {
		if total >= most {
			break
		}
		n := replicas(rs)
		if n == 0 || n == rs.Status.AvailableReplicas {
			continue
		}
		down := min(most-total, n-rs.Status.AvailableReplicas)
		_, updated, err := c.scaleTo(ctx, rs, n-down, d)
		if err != nil {
			return nil, total, err
		}
		total += down
		old[i] = updated
	}
	return old, total, nil
}

// scaleDownOld scales old ReplicaSets down, oldest first, by as many
// replicas as are available beyond minAvailable.
func (c *Controller) scaleDownOld(ctx context.Context, all, old []*appsv1.ReplicaSet, d *appsv1.Deployment) (int32, error) {
	minAvailable := *d.Spec.Replicas - maxUnavailable(d)
	availableNow := sum(all, availableReplicas)
	if availableNow <= minAvailable {
		return 0, nil
	}
	want := availableNow - minAvailable
	var total int32
	for _, rs := range sorted(old, byCreation) {
		if total >= want {
			break
		}
		if replicas(rs) == 0 {
			continue
		}
		down := min(replicas(rs), want-total)
		if _, _, err := c.scaleTo(ctx, rs, replicas(rs)-down, d); err != nil {
			return total, err
		}
		total += down
	}
	return total, nil
}

// recreate scales every old ReplicaSet to zero, waits until their pods
// are gone, then creates or scales up the new one.
func (c *Controller) recreate(ctx context.Context, d *appsv1.Deployment, sets []*appsv1.ReplicaSet, pods map[string][]*corev1.Pod) error {
	newRS, old, err := c.replicaSets(ctx, d, sets, false)
	if err != nil {
		return err
	}
	all := append(slices.Clone(old), newRS)
	scaledDown := false
	for _, rs := range active(old) {
		scaled, _, err := c.scaleTo(ctx, rs, 0, d)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown || oldPodsRunning(newRS, old, pods) {
		return c.syncRolloutStatus(ctx, all, newRS, d)
	}
	if newRS == nil {
		if newRS, old, err = c.replicaSets(ctx, d, sets, true); err != nil {
			return err
		}
		all = append(slices.Clone(old), newRS)
	}
	if _, _, err := c.scaleTo(ctx, newRS, *d.Spec.Replicas, d); err != nil {
		return err
	}
	if complete(d, &d.Status) {
		if err := c.cleanup(ctx, old, d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, all, newRS, d)
}

// oldPodsRunning reports whether pods of old ReplicaSets still exist and
// have not finished.
func oldPodsRunning(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet, pods map[string][]*corev1.Pod) bool {
	if sum(old, statusReplicas) > 0 {
		return true
	}
	for uid, list := range pods {
		if newRS != nil && string(newRS.UID) == uid {
			continue
		}
		for _, p := range list {
			if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				return true
			}
		}
	}
	return false
}
