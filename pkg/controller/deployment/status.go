package deployment

import (
	"context"
	"fmt"
	"math"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The reasons of the Progressing, Available and ReplicaFailure conditions,
// as kubectl rollout status and users' scripts read them.
const (
	reasonNewRSCreated     = "NewReplicaSetCreated"
	reasonFoundNewRS       = "FoundNewReplicaSet"
	reasonRSUpdated        = "ReplicaSetUpdated"
	reasonNewRSAvailable   = "NewReplicaSetAvailable"
	reasonTimedOut         = "ProgressDeadlineExceeded"
	reasonFailedRSCreate   = "ReplicaSetCreateError"
	reasonPaused           = "DeploymentPaused"
	reasonResumed          = "DeploymentResumed"
	reasonMinAvailable     = "MinimumReplicasAvailable"
	reasonMinUnavailable   = "MinimumReplicasUnavailable"
	eventScalingReplicaSet = "ScalingReplicaSet"
)

func (c *Controller) condition(t appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason, message string) appsv1.DeploymentCondition {
	now := metav1.NewTime(c.now())
	return appsv1.DeploymentCondition{Type: t, Status: status, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: message}
}

func getCondition(s *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setCondition puts cond into s unless a condition of its type has its
// status and reason already; a condition whose status does not change
// keeps its lastTransitionTime. It goes last, as upstream appends it.
func setCondition(s *appsv1.DeploymentStatus, cond appsv1.DeploymentCondition) {
	cur := getCondition(s, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(s, cond.Type)
	s.Conditions = append(s.Conditions, cond)
}

func removeCondition(s *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) {
	var kept []appsv1.DeploymentCondition
	for _, c := range s.Conditions {
		if c.Type != t {
			kept = append(kept, c)
		}
	}
	s.Conditions = kept
}

// hasDeadline reports whether d's progress is watched.
func hasDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// calculateStatus is d's status from its ReplicaSets, with Available.
func (c *Controller) calculateStatus(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) appsv1.DeploymentStatus {
	available := sum(all, availableReplicas)
	status := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sum(all, statusReplicas),
		UpdatedReplicas:     sum([]*appsv1.ReplicaSet{newRS}, statusReplicas),
		ReadyReplicas:       sum(all, readyReplicas),
		AvailableReplicas:   available,
		UnavailableReplicas: max(sum(all, specReplicas)-available, 0),
		TerminatingReplicas: terminating(all),
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...),
	}
	if available >= *d.Spec.Replicas-maxUnavailable(d) {
		setCondition(&status, c.condition(appsv1.DeploymentAvailable, corev1.ConditionTrue, reasonMinAvailable, "Deployment has minimum availability."))
	} else {
		setCondition(&status, c.condition(appsv1.DeploymentAvailable, corev1.ConditionFalse, reasonMinUnavailable, "Deployment does not have minimum availability."))
	}
	return status
}

// complete reports whether d's status shows all replicas updated and
// available for its current generation.
func complete(d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	n := *d.Spec.Replicas
	return s.UpdatedReplicas == n && s.Replicas == n && s.AvailableReplicas == n && s.ObservedGeneration >= d.Generation
}

// progressing reports whether s shows progress over d's stored status.
func progressing(d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	old := d.Status
	return s.UpdatedReplicas > old.UpdatedReplicas ||
		s.Replicas-s.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		s.ReadyReplicas > old.ReadyReplicas || s.AvailableReplicas > old.AvailableReplicas
}

// timedOut reports whether the rollout has made no progress within the
// deadline since the Progressing condition last changed.
func (c *Controller) timedOut(d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	if !hasDeadline(d) {
		return false
	}
	cond := getCondition(s, appsv1.DeploymentProgressing)
	switch {
	case cond == nil || cond.Reason == reasonNewRSAvailable:
		return false
	case cond.Reason == reasonTimedOut:
		return true
	}
	return cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(c.now())
}

func rsName(rs *appsv1.ReplicaSet, d *appsv1.Deployment, what string) string {
	if rs != nil {
		return fmt.Sprintf("ReplicaSet %q %s", rs.Name, what)
	}
	return fmt.Sprintf("Deployment %q %s", d.Name, what)
}

// syncRolloutStatus writes d's status with Progressing as the rollout
// stands: complete, progressing, or past its deadline; and the newest
// ReplicaFailure of its ReplicaSets.
func (c *Controller) syncRolloutStatus(ctx context.Context, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	status := c.calculateStatus(all, newRS, d)
	if !hasDeadline(d) {
		removeCondition(&status, appsv1.DeploymentProgressing)
	}
	cur := getCondition(&d.Status, appsv1.DeploymentProgressing)
	done := status.Replicas == status.UpdatedReplicas && cur != nil && cur.Reason == reasonNewRSAvailable
	if hasDeadline(d) && !done {
		switch {
		case complete(d, &status):
			setCondition(&status, c.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonNewRSAvailable,
				rsName(newRS, d, "has successfully progressed.")))
		case progressing(d, &status):
			// Progress renews lastUpdateTime even with the same reason.
			cond := c.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonRSUpdated, rsName(newRS, d, "is progressing."))
			if cur != nil && cur.Status == corev1.ConditionTrue {
				cond.LastTransitionTime = cur.LastTransitionTime
			}
			removeCondition(&status, appsv1.DeploymentProgressing)
			setCondition(&status, cond)
		case c.timedOut(d, &status):
			setCondition(&status, c.condition(appsv1.DeploymentProgressing, corev1.ConditionFalse, reasonTimedOut,
				rsName(newRS, d, "has timed out progressing.")))
		}
	}
	if failure := replicaFailure(all, newRS); failure != nil {
		setCondition(&status, *failure)
	} else {
		removeCondition(&status, appsv1.DeploymentReplicaFailure)
	}
	if apiequality.Semantic.DeepEqual(d.Status, status) {
		c.requeueStuck(d, &status)
		return nil
	}
	d = d.DeepCopy()
	d.Status = status
	_, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	return err
}

// syncStatusOnly writes d's counts and Available, for syncs that change
// no ReplicaSet's template (scaling, paused).
func (c *Controller) syncStatusOnly(ctx context.Context, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	status := c.calculateStatus(all, newRS, d)
	if apiequality.Semantic.DeepEqual(d.Status, status) {
		return nil
	}
	d = d.DeepCopy()
	d.Status = status
	_, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	return err
}

// replicaFailure is the ReplicaFailure condition of the new ReplicaSet,
// or else of an old one, as a Deployment condition.
func replicaFailure(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) *appsv1.DeploymentCondition {
	for _, rs := range append([]*appsv1.ReplicaSet{newRS}, all...) {
		if rs == nil {
			continue
		}
		for _, cond := range rs.Status.Conditions {
			if cond.Type == appsv1.ReplicaSetReplicaFailure && cond.Status == corev1.ConditionTrue {
				return &appsv1.DeploymentCondition{
					Type: appsv1.DeploymentReplicaFailure, Status: cond.Status, Reason: cond.Reason, Message: cond.Message,
					LastUpdateTime: cond.LastTransitionTime, LastTransitionTime: cond.LastTransitionTime,
				}
			}
		}
	}
	return nil
}

// requeueStuck checks d again when its progress deadline would pass, so
// that ProgressDeadlineExceeded is reported on time.
func (c *Controller) requeueStuck(d *appsv1.Deployment, s *appsv1.DeploymentStatus) {
	cond := getCondition(s, appsv1.DeploymentProgressing)
	if !hasDeadline(d) || cond == nil || cond.Reason == reasonNewRSAvailable || cond.Reason == reasonTimedOut {
		return
	}
	if complete(d, s) {
		return
	}
	after := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(c.now())
	key, _ := cache.MetaNamespaceKeyFunc(d)
	c.loop.Queue.AddAfter(key, max(after, 0)+time.Second)
}

// checkPaused records pausing and resuming in Progressing, unless the
// rollout has timed out.
func (c *Controller) checkPaused(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	if !hasDeadline(d) {
		return d, nil
	}
	cur := getCondition(&d.Status, appsv1.DeploymentProgressing)
	if cur != nil && cur.Reason == reasonTimedOut {
		return d, nil
	}
	pausedCond := cur != nil && cur.Reason == reasonPaused
	var cond appsv1.DeploymentCondition
	switch {
	case d.Spec.Paused && !pausedCond:
		cond = c.condition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, reasonPaused, "Deployment is paused")
	case !d.Spec.Paused && pausedCond:
		cond = c.condition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, reasonResumed, "Deployment is resumed")
	default:
		return d, nil
	}
	d = d.DeepCopy()
	setCondition(&d.Status, cond)
	return c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
}
