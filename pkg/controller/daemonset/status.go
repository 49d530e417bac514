package daemonset

import (
	"context"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubectl/pkg/util/podutils"
)

// updateStatus counts ds's pods per node as upstream does and writes the
// counts, and observedGeneration when observed, if they changed. Of a
// node's pods, the oldest counts for ready, available and updated.
func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, nodes []*corev1.Node, hash string, observed bool) error {
	byNode, err := c.podsByNode(ctx, ds, false)
	if err != nil {
		return err
	}
	generation := templateGeneration(ds)
	var s appsv1.DaemonSetStatus
	for _, node := range nodes {
		pods := byNode[node.Name]
		if !placementOf(node, ds).run {
			if len(pods) > 0 {
				s.NumberMisscheduled++
			}
			continue
		}
		s.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		s.CurrentNumberScheduled++
		pod := slices.MinFunc(pods, oldestScheduledFirst)
		if podutils.IsPodReady(pod) {
			s.NumberReady++
			if c.available(pod, ds) {
				s.NumberAvailable++
			}
		}
		if updated(pod, hash, generation) {
			s.UpdatedNumberScheduled++
		}
	}
	s.NumberUnavailable = s.DesiredNumberScheduled - s.NumberAvailable
	s.ObservedGeneration = ds.Status.ObservedGeneration
	if observed {
		s.ObservedGeneration = max(ds.Generation, s.ObservedGeneration)
	}
	if counts(s) != counts(ds.Status) || s.ObservedGeneration != ds.Status.ObservedGeneration {
		next := ds.DeepCopy()
		s.CollisionCount, s.Conditions = next.Status.CollisionCount, next.Status.Conditions
		next.Status = s
		if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
			return errorf(ds, "error storing status: %w", err)
		}
	}
	// The last line against a clock that skips: look again once the
	// ready pods should be available.
	if ds.Spec.MinReadySeconds > 0 && s.NumberReady != s.NumberAvailable {
		key, _ := cache.MetaNamespaceKeyFunc(ds)
		c.loop.Queue.AddAfter(key, time.Duration(ds.Spec.MinReadySeconds)*time.Second)
	}
	return nil
}

// counts are the numbers of a status, which the controller computes.
func counts(s appsv1.DaemonSetStatus) [7]int32 {
	return [7]int32{s.CurrentNumberScheduled, s.NumberMisscheduled, s.DesiredNumberScheduled, s.NumberReady,
		s.UpdatedNumberScheduled, s.NumberAvailable, s.NumberUnavailable}
}
