package deployment

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/templatehash"
)

// revisionHistoryChars bounds the revision-history annotation.
const revisionHistoryChars = 2000

// equalIgnoringHash reports whether two templates differ at most in
// their pod-template-hash label.
func equalIgnoringHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, hashLabel)
	delete(b.Labels, hashLabel)
	return apiequality.Semantic.DeepEqual(a, b)
}

// findNew is the oldest ReplicaSet whose template is d's, and the others.
func findNew(d *appsv1.Deployment, sets []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	var newRS *appsv1.ReplicaSet
	for _, rs := range sorted(sets, byCreation) {
		if equalIgnoringHash(&rs.Spec.Template, &d.Spec.Template) {
			newRS = rs
			break
		}
	}
	var old []*appsv1.ReplicaSet
	for _, rs := range sets {
		if rs != newRS {
			old = append(old, rs)
		}
	}
	return newRS, old
}

// replicaSets returns d's new ReplicaSet (created when create is set and
// there is none) and its old ones, with the new one's revision one past
// the old ones' and the Deployment's revision annotation following it.
func (c *Controller) replicaSets(ctx context.Context, d *appsv1.Deployment, sets []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	existing, old := findNew(d, sets)
	var maxOld int64
	for _, rs := range old {
		maxOld = max(maxOld, revision(rs))
	}
	newRevision := strconv.FormatInt(maxOld+1, 10)
	if existing != nil {
		rs, err := c.syncNewRevision(ctx, d, existing, newRevision)
		return rs, old, err
	}
	if !create {
		return nil, old, nil
	}
	rs, err := c.createNew(ctx, d, old, newRevision)
	return rs, old, err
}

// syncNewRevision brings an existing new ReplicaSet's annotations and
// minReadySeconds up to d's, and d's revision up to it.
func (c *Controller) syncNewRevision(ctx context.Context, d *appsv1.Deployment, existing *appsv1.ReplicaSet, newRevision string) (*appsv1.ReplicaSet, error) {
	rs := existing.DeepCopy()
	changed := c.setNewAnnotations(ctx, d, rs, newRevision, true)
	if changed || rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		return c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, rs, metav1.UpdateOptions{})
	}
	needsUpdate := setRevision(d, rs.Annotations[revisionAnnotation])
	if hasDeadline(d) && getCondition(&d.Status, appsv1.DeploymentProgressing) == nil {
		setCondition(&d.Status, c.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonFoundNewRS,
			fmt.Sprintf("Found new replica set %q", rs.Name)))
		needsUpdate = true
	}
	if needsUpdate {
		if _, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// createNew creates d's ReplicaSet for its current template, named after
// the template's hash, with as many replicas as the strategy allows now.
func (c *Controller) createNew(ctx context.Context, d *appsv1.Deployment, others []*appsv1.ReplicaSet, newRevision string) (*appsv1.ReplicaSet, error) {
	template := d.Spec.Template.DeepCopy()
	hash := templatehash.Compute(template, d.Status.CollisionCount)
	if template.Labels == nil {
		template.Labels = map[string]string{}
	}
	template.Labels[hashLabel] = hash
	selector := d.Spec.Selector.DeepCopy()
	if selector.MatchLabels == nil {
		selector.MatchLabels = map[string]string{}
	}
	selector.MatchLabels[hashLabel] = hash
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{ownership.ControllerRef(d, kind)},
			Labels:          template.Labels,
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        new(int32),
			MinReadySeconds: d.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        *template,
		},
	}
	n := newReplicas(d, append(others, rs), rs)
	*rs.Spec.Replicas = n
	c.setNewAnnotations(ctx, d, rs, newRevision, false)

	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	alreadyExisted := false
	if apierrors.IsAlreadyExists(err) {
		// The same hash: ours if it holds our template, else a collision
		// that the next hash, with a higher count, avoids.
		found, getErr := c.sets.ReplicaSets(d.Namespace).Get(rs.Name)
		if getErr != nil {
			return nil, getErr
		}
		if ref := metav1.GetControllerOfNoCopy(found); ref != nil && ref.UID == d.UID && equalIgnoringHash(&d.Spec.Template, &found.Spec.Template) {
			created, err, alreadyExisted = found, nil, true
		} else {
			d = d.DeepCopy()
			count := int32(0)
			if d.Status.CollisionCount != nil {
				count = *d.Status.CollisionCount
			}
			count++
			d.Status.CollisionCount = &count
			if _, uerr := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{}); uerr != nil {
				return nil, uerr
			}
			klog.FromContext(ctx).V(2).Info("Found a hash collision for deployment - bumping collisionCount", "deployment", klog.KObj(d), "collisionCount", count)
			return nil, err
		}
	}
	if err != nil {
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasDeadline(d) {
			d = d.DeepCopy()
			setCondition(&d.Status, c.condition(appsv1.DeploymentProgressing, corev1.ConditionFalse, reasonFailedRSCreate, msg))
			_, _ = c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
		c.events.Event(d, corev1.EventTypeWarning, reasonFailedRSCreate, msg)
		return nil, err
	}
	if !alreadyExisted && n > 0 {
		c.events.Eventf(d, corev1.EventTypeNormal, eventScalingReplicaSet, "Scaled up replica set %s from 0 to %d", created.Name, n)
	}
	needsUpdate := setRevision(d, newRevision)
	if !alreadyExisted && hasDeadline(d) {
		setCondition(&d.Status, c.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name)))
		needsUpdate = true
	}
	if needsUpdate {
		if _, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// newReplicas is how many replicas the new ReplicaSet may have now: all
// of them for Recreate; for RollingUpdate, as many more as maxSurge
// leaves room for over all the ReplicaSets (newRS among them), up to
// spec.replicas.
func newReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if !isRolling(d) {
		return *d.Spec.Replicas
	}
	current := sum(all, specReplicas)
	maxTotal := *d.Spec.Replicas + maxSurge(d)
	if current >= maxTotal {
		return replicas(newRS)
	}
	up := min(maxTotal-current, *d.Spec.Replicas-replicas(newRS))
	return replicas(newRS) + up
}

// setRevision sets d's revision annotation, reporting a change.
func setRevision(d *appsv1.Deployment, rev string) bool {
	if d.Annotations[revisionAnnotation] == rev {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[revisionAnnotation] = rev
	return true
}

// skipCopy are the Deployment annotations its ReplicaSets do not get.
func skipCopy(key string) bool {
	switch key {
	case lastAppliedAnnotation, revisionAnnotation, revisionHistoryAnnotation,
		desiredReplicasAnnotation, maxReplicasAnnotation, rollbackToAnnotation:
		return true
	}
	return false
}

// setNewAnnotations gives the new ReplicaSet d's annotations, the new
// revision (keeping the revisions it had before in revision-history, when
// a rollback brings it back) and, for one about to be created, the
// replica annotations. It reports whether anything changed.
func (c *Controller) setNewAnnotations(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision string, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if skipCopy(k) {
			continue
		}
		if cur, ok := rs.Annotations[k]; !ok || cur != v {
			rs.Annotations[k] = v
			changed = true
		}
	}
	oldRevision, had := rs.Annotations[revisionAnnotation]
	oldN, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			klog.FromContext(ctx).Info("Updating replica set revision OldRevision not int", "err", err)
			return false
		}
		oldN = 0
	}
	newN, _ := strconv.ParseInt(newRevision, 10, 64)
	if oldN < newN {
		rs.Annotations[revisionAnnotation] = newRevision
		changed = true
		if had {
			history := rs.Annotations[revisionHistoryAnnotation]
			if history == "" {
				history = oldRevision
			} else {
				history += "," + oldRevision
				for len(history) > revisionHistoryChars {
					_, rest, ok := strings.Cut(history, ",")
					if !ok {
						break
					}
					history = rest
				}
			}
			rs.Annotations[revisionHistoryAnnotation] = history
		}
	}
	if !exists && setReplicasAnnotations(rs, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d)) {
		changed = true
	}
	return changed
}

// setReplicasAnnotations records the Deployment's desired and maximum
// replicas on a ReplicaSet, for proportional scaling, reporting a change.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	d, m := strconv.Itoa(int(desired)), strconv.Itoa(int(maxReplicas))
	if rs.Annotations[desiredReplicasAnnotation] == d && rs.Annotations[maxReplicasAnnotation] == m {
		return false
	}
	rs.Annotations[desiredReplicasAnnotation] = d
	rs.Annotations[maxReplicasAnnotation] = m
	return true
}

// cleanup deletes d's old, scaled-down ReplicaSets beyond
// revisionHistoryLimit, lowest revisions first.
func (c *Controller) cleanup(ctx context.Context, old []*appsv1.ReplicaSet, d *appsv1.Deployment) error {
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range old {
		if rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	for _, rs := range sorted(alive, byRevision)[:diff] {
		if rs.Status.Replicas != 0 || replicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rs.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
