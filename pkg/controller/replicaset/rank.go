package replicaset

import (
	"math"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubectl/pkg/util/podutils"
)

// deletionCostAnnotation orders a controller's pods for scale-down: lower
// costs go first.
const deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// perNode counts pods by node: upstream ranks a pod by how many pods of
// its owner share its node, and deletes from the most crowded first.
func perNode(pods []*corev1.Pod) map[string]int {
	counts := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			counts[p.Spec.NodeName]++
		}
	}
	return counts
}

// podsToDelete returns the n pods of pods that go first on scale-down.
func podsToDelete(pods []*corev1.Pod, perNode map[string]int, n int, now time.Time) []*corev1.Pod {
	sorted := slices.Clone(pods)
	slices.SortStableFunc(sorted, func(a, b *corev1.Pod) int {
		if less(a, b, perNode, now) {
			return -1
		}
		if less(b, a, perNode, now) {
			return 1
		}
		return 0
	})
	return sorted[:min(n, len(sorted))]
}

// less reports whether a goes before b, in upstream's order.
func less(a, b *corev1.Pod, perNode map[string]int, now time.Time) bool {
	// Unscheduled before scheduled.
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	// Pending before unknown before running.
	if pa, pb := phaseRank(a.Status.Phase), phaseRank(b.Status.Phase); pa != pb {
		return pa < pb
	}
	// Not ready before ready.
	ra, rb := podutils.IsPodReady(a), podutils.IsPodReady(b)
	if ra != rb {
		return !ra
	}
	// Lower deletion cost first.
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	// Doubled up on a node before alone.
	if na, nb := rank(a, perNode), rank(b, perNode); na != nb {
		return na > nb
	}
	// Ready for less time first, on a logarithmic scale.
	if ra && rb {
		if d := logDiff(readySince(a), readySince(b), now); d != 0 {
			return d < 0
		}
	}
	// More restarts first.
	if xa, xb := restarts(a), restarts(b); xa != xb {
		return xa > xb
	}
	// Newer first, on a logarithmic scale.
	if d := logDiff(a.CreationTimestamp.Time, b.CreationTimestamp.Time, now); d != 0 {
		return d < 0
	}
	return a.UID < b.UID
}

func phaseRank(p corev1.PodPhase) int {
	switch p {
	case corev1.PodPending:
		return 0
	case corev1.PodUnknown:
		return 1
	case corev1.PodRunning:
		return 2
	}
	return 3
}

func deletionCost(p *corev1.Pod) int32 {
	n, err := strconv.ParseInt(p.Annotations[deletionCostAnnotation], 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

func rank(p *corev1.Pod, perNode map[string]int) int {
	if p.Spec.NodeName == "" {
		return 0
	}
	return perNode[p.Spec.NodeName]
}

func readySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n = max(n, s.RestartCount)
	}
	return n
}

// logDiff compares how long ago a and b were on a log2 scale of
// nanoseconds: negative if a is more recent by at least a power of two
// (goes first), zero if they are in the same bucket or a time is unknown.
func logDiff(a, b, now time.Time) int {
	if a.IsZero() || b.IsZero() {
		switch {
		case a.IsZero() && !b.IsZero():
			return -1
		case b.IsZero() && !a.IsZero():
			return 1
		}
		return 0
	}
	return bucket(now.Sub(a)) - bucket(now.Sub(b))
}

func bucket(d time.Duration) int {
	if d <= 0 {
		return -1
	}
	return int(math.Log2(float64(d)))
}
