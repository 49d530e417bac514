package tainteviction

import (
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// comparisonOperators says whether tolerations with the Lt and Gt
// operators match: the TaintTolerationComparisonOperators feature, alpha
// and off by default.
const comparisonOperators = false

// noExecuteTaints is taints' NoExecute ones, in order.
func noExecuteTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// matchingTolerations reports whether tolerations tolerate every one of
// taints and, if so, the first toleration that tolerates each, as
// upstream's GetMatchingTolerations.
func matchingTolerations(logger klog.Logger, taints []corev1.Taint, tolerations []corev1.Toleration) (bool, []corev1.Toleration) {
	used := make([]corev1.Toleration, 0, len(taints))
	for i := range taints {
		found := false
		for j := range tolerations {
			if tolerations[j].ToleratesTaint(logger, &taints[i], comparisonOperators) {
				used = append(used, tolerations[j])
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, used
}

// minTolerationTime is how long the tolerations let a pod stay: the
// shortest tolerationSeconds (zero or less meaning none at all), zero when
// there are no tolerations, and -1 (forever) when none sets a time.
func minTolerationTime(tolerations []corev1.Toleration) time.Duration {
	if len(tolerations) == 0 {
		return 0
	}
	least := int64(math.MaxInt64)
	for _, t := range tolerations {
		if t.TolerationSeconds == nil {
			continue
		}
		if *t.TolerationSeconds <= 0 {
			return 0
		}
		least = min(least, *t.TolerationSeconds)
	}
	if least == math.MaxInt64 {
		return -1
	}
	return time.Duration(least) * time.Second
}
