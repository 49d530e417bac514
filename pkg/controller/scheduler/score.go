package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// maxNodeScore is the framework's MaxNodeScore: every plugin scores a node
// from 0 to it, then the weights apply.
const maxNodeScore = 100

// The weights of the default profile's score plugins that look at what
// fakecluster has: TaintToleration 3, NodeAffinity 2, NodeResourcesFit
// (LeastAllocated, cpu and memory weighted 1 each) 1 and
// NodeResourcesBalancedAllocation 1. PodTopologySpread, InterPodAffinity
// and ImageLocality are not implemented.
const (
	weightTaint    = 3
	weightAffinity = 2
	weightFit      = 1
	weightBalanced = 1
)

// scores returns each node's total score, in the order of nodes, as the
// framework's RunScorePlugins: every plugin scores every node, normalizes,
// and its weight applies.
func (c *cycle) scores(nodes []*nodeInfo) []int64 {
	total := make([]int64, len(nodes))
	pod := c.pod.pod

	// NodeResourcesFit, LeastAllocated: the free share of cpu and memory
	// left after the pod, with the default requests counted for
	// containers that ask for none.
	for i, n := range nodes {
		cpu := leastRequested(n.nonZeroCPU+c.pod.nonZeroCPU, n.allocatable.milliCPU)
		mem := leastRequested(n.nonZeroMem+c.pod.nonZeroMem, n.allocatable.memory)
		var score, weights int64
		if n.allocatable.milliCPU != 0 {
			score, weights = score+cpu, weights+1
		}
		if n.allocatable.memory != 0 {
			score, weights = score+mem, weights+1
		}
		if weights > 0 {
			total[i] += weightFit * (score / weights)
		}
	}

	// NodeResourcesBalancedAllocation: how evenly cpu and memory would be
	// used; skipped for a pod that requests neither.
	if c.pod.req.milliCPU != 0 || c.pod.req.memory != 0 {
		for i, n := range nodes {
			total[i] += weightBalanced * balanced(
				[]int64{n.requested.milliCPU + c.pod.req.milliCPU, n.requested.memory + c.pod.req.memory},
				[]int64{n.allocatable.milliCPU, n.allocatable.memory})
		}
	}

	// TaintToleration: fewer PreferNoSchedule taints the pod does not
	// tolerate is better.
	var prefer []corev1.Toleration
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			prefer = append(prefer, t)
		}
	}
	raw := make([]int64, len(nodes))
	for i, n := range nodes {
		for _, t := range n.node.Spec.Taints {
			if t.Effect == corev1.TaintEffectPreferNoSchedule && !corev1helpers.TolerationsTolerateTaint(c.logger, prefer, &t, enableTaintComparisonOperators) {
				raw[i]++
			}
		}
	}
	normalize(raw, true)
	for i := range nodes {
		total[i] += weightTaint * raw[i]
	}

	// NodeAffinity: the weights of the preferred terms a node matches;
	// skipped for a pod without any.
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && len(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0 {
		if terms, err := nodeaffinity.NewPreferredSchedulingTerms(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution); err == nil {
			for i, n := range nodes {
				raw[i] = terms.Score(n.node)
			}
			normalize(raw, false)
			for i := range nodes {
				total[i] += weightAffinity * raw[i]
			}
		}
	}
	return total
}

// leastRequested is upstream's leastRequestedScore: the unrequested share
// of capacity, 0 to maxNodeScore, in integer arithmetic.
func leastRequested(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * maxNodeScore / capacity
}

// balanced is upstream's balancedResourceScorer: one minus the standard
// deviation of the requested shares (each capped at 1), scaled.
func balanced(requested, allocatable []int64) int64 {
	var fractions []float64
	var sum float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := math.Min(float64(requested[i])/float64(allocatable[i]), 1)
		fractions = append(fractions, f)
		sum += f
	}
	var std float64
	switch {
	case len(fractions) == 2:
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case len(fractions) > 2:
		mean := sum / float64(len(fractions))
		var sq float64
		for _, f := range fractions {
			sq += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sq / float64(len(fractions)))
	}
	return int64((1 - std) * maxNodeScore)
}

// normalize is the framework's DefaultNormalizeScore: scale to
// maxNodeScore by the highest, and reverse if lower raw scores are better.
func normalize(scores []int64, reverse bool) {
	var highest int64
	for _, s := range scores {
		highest = max(highest, s)
	}
	if highest == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxNodeScore
			}
		}
		return
	}
	for i, s := range scores {
		s = maxNodeScore * s / highest
		if reverse {
			s = maxNodeScore - s
		}
		scores[i] = s
	}
}
