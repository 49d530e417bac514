package daemonset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/kubectl/pkg/util/podutils"
)

// rollingUpdate replaces ds's old pods within its update strategy's
// bounds: without surge it deletes old pods (unavailable ones at once,
// available ones while fewer than maxUnavailable nodes lack an available
// pod) and the next sync creates new ones in their place; with surge it
// creates new pods beside old ones (at once where the old pod is
// unavailable, else up to maxSurge) and deletes each old pod once its
// replacement is available.
func (c *Controller) rollingUpdate(ctx context.Context, ds *appsv1.DaemonSet, key string, nodes []*corev1.Node, hash string) error {
	byNode, err := c.podsByNode(ctx, ds, false)
	if err != nil {
		return err
	}
	maxSurge, maxUnavailable, desired := c.rolloutBounds(ds, nodes, byNode)
	generation := templateGeneration(ds)
	if maxSurge == 0 {
		var unavailable int
		var replace, candidates []*corev1.Pod
		for _, pods := range byNode {
			newest, oldest, ok := splitOnNode(pods, hash, generation)
			switch {
			case !ok, newest == nil && oldest == nil, newest != nil && oldest != nil:
				// The core loop has work here first: count it unavailable.
				unavailable++
			case newest != nil:
				if !c.available(newest, ds) {
					unavailable++
				}
			case !c.available(oldest, ds):
				replace = append(replace, oldest)
				unavailable++
			case unavailable < maxUnavailable:
				candidates = append(candidates, oldest)
			}
		}
		room := min(max(maxUnavailable-unavailable, 0), len(candidates))
		return c.syncNodes(ctx, ds, key, nil, append(replace, candidates[:room]...), hash)
	}

	var remove, sunset []*corev1.Pod
	var allowed, candidates []string
	var surging, available int
	for node, pods := range byNode {
		newest, oldest, ok := splitOnNode(pods, hash, generation)
		if !ok {
			surging++
			continue
		}
		if p := oldest; p != nil || newest != nil {
			if p == nil {
				p = newest
			}
			if c.available(p, ds) {
				available++
			}
		}
		switch {
		case oldest == nil:
			// Nothing to replace; the core loop creates what is missing.
		case newest == nil:
			fits := c.nodeFits(node, ds)
			switch {
			case !c.available(oldest, ds) && !fits:
				remove = append(remove, oldest)
			case !c.available(oldest, ds):
				allowed = append(allowed, node)
			case !fits:
				sunset = append(sunset, oldest)
			case surging < maxSurge:
				candidates = append(candidates, node)
			}
		case !c.available(newest, ds):
			surging++
		default:
			remove = append(remove, oldest)
		}
	}
	// Pods on nodes the DaemonSet no longer fits go only as pods elsewhere
	// become available, so that it is never left with none.
	if spare := min(available-desired, len(sunset)); spare > 0 {
		remove = append(remove, sunset[:spare]...)
	}
	room := min(max(maxSurge-surging, 0), len(candidates))
	return c.syncNodes(ctx, ds, key, append(allowed, candidates[:room]...), remove, hash)
}

// rolloutBounds are upstream's updatedDesiredNodeCounts: maxSurge and
// maxUnavailable scaled to the number of nodes that should run ds (one
// unavailable when both come to zero), and that number. Nodes that
// should run ds and have no pod are added to byNode, empty.
func (c *Controller) rolloutBounds(ds *appsv1.DaemonSet, nodes []*corev1.Node, byNode map[string][]*corev1.Pod) (maxSurge, maxUnavailable, desired int) {
	for _, node := range nodes {
		if !placementOf(node, ds).run {
			continue
		}
		desired++
		if _, ok := byNode[node.Name]; !ok {
			byNode[node.Name] = nil
		}
	}
	maxUnavailable, maxSurge = unavailableCount(ds, desired), surgeCount(ds, desired)
	if desired > 0 && maxUnavailable == 0 && maxSurge == 0 {
		maxUnavailable = 1
	}
	return maxSurge, maxUnavailable, desired
}

// nodeFits is whether the node named node should run ds; a node the
// cache no longer has does not.
func (c *Controller) nodeFits(node string, ds *appsv1.DaemonSet) bool {
	n, err := c.nodes.Get(node)
	return err == nil && placementOf(n, ds).run
}

// splitOnNode is the one pod of the current template and the one of an
// older one among a node's pods that are not being deleted; ok is false
// when there are more, which the core loop prunes first.
func splitOnNode(pods []*corev1.Pod, hash string, generation *int64) (newest, oldest *corev1.Pod, ok bool) {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		slot := &oldest
		if updated(p, hash, generation) {
			slot = &newest
		}
		if *slot != nil {
			return nil, nil, false
		}
		*slot = p
	}
	return newest, oldest, true
}

// available is whether pod has been ready for ds's minReadySeconds.
func (c *Controller) available(pod *corev1.Pod, ds *appsv1.DaemonSet) bool {
	return podutils.IsPodAvailable(pod, ds.Spec.MinReadySeconds, metav1.NewTime(c.now()))
}

// rollingBound scales one of a RollingUpdate's bounds to n nodes,
// rounding a percentage up; no rolling update or no bound is zero.
func rollingBound(ds *appsv1.DaemonSet, bound func(*appsv1.RollingUpdateDaemonSet) *intstr.IntOrString, n int) int {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || r == nil || bound(r) == nil {
		return 0
	}
	v, err := intstr.GetScaledValueFromIntOrPercent(bound(r), n, true)
	if err != nil {
		return 0
	}
	return v
}

func unavailableCount(ds *appsv1.DaemonSet, n int) int {
	return rollingBound(ds, func(r *appsv1.RollingUpdateDaemonSet) *intstr.IntOrString { return r.MaxUnavailable }, n)
}

func surgeCount(ds *appsv1.DaemonSet, n int) int {
	return rollingBound(ds, func(r *appsv1.RollingUpdateDaemonSet) *intstr.IntOrString { return r.MaxSurge }, n)
}

// allowsSurge is whether ds's update strategy may run a new pod beside an
// old one on a node.
func allowsSurge(ds *appsv1.DaemonSet) bool { return surgeCount(ds, 1) > 0 }
