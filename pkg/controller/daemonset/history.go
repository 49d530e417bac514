package daemonset

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/history"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/templatehash"
)

// history returns ds's current revision, created or renumbered to follow
// the old ones, and the old ones. A revision matches ds when it holds
// ds's template; of several that match, the newest is kept.
func (c *Controller) history(ctx context.Context, ds *appsv1.DaemonSet) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	revisions, err := c.controlledRevisions(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range revisions {
		if _, ok := r.Labels[hashLabel]; ok {
			continue
		}
		// Revisions made before the label was: the name is unique.
		r = r.DeepCopy()
		if r.Labels == nil {
			r.Labels = map[string]string{}
		}
		r.Labels[hashLabel] = r.Name
		if revisions[i], err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, r, metav1.UpdateOptions{}); err != nil {
			return nil, nil, err
		}
	}
	data, err := history.TemplatePatch(ds)
	if err != nil {
		return nil, nil, err
	}
	current := history.FindEqual(revisions, data, nil)
	old := slices.DeleteFunc(slices.Clone(revisions), func(r *appsv1.ControllerRevision) bool { return slices.Contains(current, r) })
	next := history.Next(old)
	if len(current) == 0 {
		cur, err := c.snapshot(ctx, ds, data, next)
		return cur, old, err
	}
	cur, err := c.dedup(ctx, ds, current)
	if err != nil {
		return nil, nil, err
	}
	if cur.Revision < next {
		if cur, err = history.Renumber(ctx, c.client, cur, next); err != nil {
			return nil, nil, err
		}
	}
	return cur, old, nil
}

// controlledRevisions claims the ControllerRevisions ds selects.
func (c *Controller) controlledRevisions(ctx context.Context, ds *appsv1.DaemonSet) ([]*appsv1.ControllerRevision, error) {
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, nil
	}
	return history.Claim(ctx, c.client, c.revisions, c.owns(ds, selector, nil))
}

// snapshot creates ds's revision number revision holding data, named after
// the hash of its template, as upstream names a DaemonSet's revisions. A
// name taken by another template is a hash collision: the collision count
// goes up and the next sync tries a new name.
func (c *Controller) snapshot(ctx context.Context, ds *appsv1.DaemonSet, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	hash := templatehash.Compute(&ds.Spec.Template, ds.Status.CollisionCount)
	labels := maps.Clone(ds.Spec.Template.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[hashLabel] = hash
	r := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: history.Name(ds.Name, hash), Namespace: ds.Namespace, Labels: labels, Annotations: ds.Annotations,
			OwnerReferences: []metav1.OwnerReference{ownership.ControllerRef(ds, kind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
	created, err := history.Create(ctx, c.client, r)
	if !errors.Is(err, history.ErrHashCollision) {
		return created, err
	}
	fresh, getErr := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, getErr
	}
	count := int32(1)
	if fresh.Status.CollisionCount != nil {
		count = *fresh.Status.CollisionCount + 1
	}
	fresh.Status.CollisionCount = &count
	if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	klog.FromContext(ctx).V(2).Info("Found a hash collision for DaemonSet - bumping collisionCount to resolve it", "daemonset", klog.KObj(ds), "collisionCount", count)
	return nil, err
}

// dedup keeps the newest of several revisions that hold ds's template,
// relabels the pods of the others to its hash, and deletes the others.
func (c *Controller) dedup(ctx context.Context, ds *appsv1.DaemonSet, current []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	current = slices.Clone(current)
	history.Sort(current)
	keep := current[len(current)-1]
	if len(current) == 1 {
		return keep, nil
	}
	byNode, err := c.podsByNode(ctx, ds, false)
	if err != nil {
		return nil, err
	}
	hash := keep.Labels[hashLabel]
	for _, pods := range byNode {
		for _, p := range pods {
			if p.Labels[hashLabel] == hash {
				continue
			}
			patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{hashLabel: hash}}})
			if _, err := c.client.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
				return nil, err
			}
		}
	}
	if err := history.Delete(ctx, c.client, current[:len(current)-1]...); err != nil {
		return nil, err
	}
	return keep, nil
}

// cleanupHistory deletes the oldest of ds's old revisions beyond its
// revisionHistoryLimit, keeping those some pod (even a finished one) is
// still of.
func (c *Controller) cleanupHistory(ctx context.Context, ds *appsv1.DaemonSet, old []*appsv1.ControllerRevision) error {
	limit := 10
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	excess := len(old) - limit
	if excess <= 0 {
		return nil
	}
	byNode, err := c.podsByNode(ctx, ds, true)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, pods := range byNode {
		for _, p := range pods {
			if h := p.Labels[hashLabel]; h != "" {
				live[h] = true
			}
		}
	}
	return history.Trim(ctx, c.client, old, excess, func(r *appsv1.ControllerRevision) bool { return live[r.Labels[hashLabel]] })
}
