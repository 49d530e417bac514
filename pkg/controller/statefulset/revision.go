package statefulset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/history"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
)

// maxCollisions is how many names in a row Create may find taken by other
// data before a sync gives up (each try hashes a higher collision count,
// so one is already beyond belief).
const maxCollisions = 10

// newRevision is set's revision number n under collisionCount: the patch
// that restores set's template, named <set>-<hash> after its hash as
// upstream names it, labelled with the template's labels and the hash,
// annotated with set's annotations.
func newRevision(set *appsv1.StatefulSet, n int64, collisionCount int32) (*appsv1.ControllerRevision, error) {
	data, err := history.TemplatePatch(set)
	if err != nil {
		return nil, err
	}
	hash := history.Hash(data, &collisionCount)
	labels := maps.Clone(set.Spec.Template.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[history.HashLabel] = hash
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            history.Name(set.Name, hash),
			Namespace:       set.Namespace,
			Labels:          labels,
			Annotations:     maps.Clone(set.Annotations),
			OwnerReferences: []metav1.OwnerReference{ownership.ControllerRef(set, kind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: n,
	}, nil
}

// applyRevision is set with revision's patch applied: set as it was at
// that revision.
func applyRevision(set *appsv1.StatefulSet, revision *appsv1.ControllerRevision) (*appsv1.StatefulSet, error) {
	original, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	patched, err := strategicpatch.StrategicMergePatch(original, revision.Data.Raw, &appsv1.StatefulSet{})
	if err != nil {
		return nil, fmt.Errorf("apply controller revision %s: %w", revision.Name, err)
	}
	out := &appsv1.StatefulSet{}
	if err := json.Unmarshal(patched, out); err != nil {
		return nil, fmt.Errorf("apply controller revision %s: %w", revision.Name, err)
	}
	return out, nil
}

// holdsTemplate reports whether revision holds set's template: the same
// patch, or (upstream's StatefulSetSemanticRevisionComparison, on by
// default) one that restores a semantically equal template, so that a
// revision serialised otherwise does not roll the pods.
func holdsTemplate(set *appsv1.StatefulSet, data []byte, revision *appsv1.ControllerRevision) bool {
	if bytes.Equal(revision.Data.Raw, data) {
		return true
	}
	restored, err := applyRevision(set, revision)
	return err == nil && apiequality.Semantic.DeepEqual(restored.Spec.Template, set.Spec.Template)
}

// revisions returns set's current and update revisions, and the collision
// count they were named under. The update revision holds set's template:
// the newest revision if it does, else an older one that does, renumbered
// to come last (a rollback), else a new one. The current one is the one
// status.currentRevision names, or the update revision when there is none.
// revisions are sorted here.
func (c *Controller) revisions(ctx context.Context, set *appsv1.StatefulSet, revisions []*appsv1.ControllerRevision) (current, update *appsv1.ControllerRevision, collisionCount int32, err error) {
	history.Sort(revisions)
	if set.Status.CollisionCount != nil {
		collisionCount = *set.Status.CollisionCount
	}
	data, err := history.TemplatePatch(set)
	if err != nil {
		return nil, nil, collisionCount, err
	}
	same := func(r *appsv1.ControllerRevision) bool { return holdsTemplate(set, data, r) }
	next := history.Next(revisions)
	equal := history.FindEqual(revisions, data, same)
	switch {
	case len(equal) > 0 && same(revisions[len(revisions)-1]):
		update = revisions[len(revisions)-1]
	case len(equal) > 0:
		if update, err = history.Renumber(ctx, c.client, equal[len(equal)-1], next); err != nil {
			return nil, nil, collisionCount, err
		}
	default:
		for tries := 0; ; tries++ {
			r, err := newRevision(set, next, collisionCount)
			if err != nil {
				return nil, nil, collisionCount, err
			}
			update, err = history.Create(ctx, c.client, r)
			if err == nil {
				break
			}
			if !errors.Is(err, history.ErrHashCollision) || tries == maxCollisions {
				return nil, nil, collisionCount, err
			}
			collisionCount++
		}
	}
	for _, r := range revisions {
		if r.Name == set.Status.CurrentRevision {
			current = r
			break
		}
	}
	if current == nil {
		current = update
	}
	return current, update, collisionCount, nil
}
