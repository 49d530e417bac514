package nodelifecycle

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// noExecute is the NoExecute taint of key: not-ready and unreachable are
// those of a Node's Ready condition, and a Node has at most one of them,
// as its Ready condition has one status.
func noExecute(key string) corev1.Taint {
	return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoExecute}
}

// conditionTaintKey is the taint key a condition in a given status calls
// for, as upstream's nodeConditionToTaintKeyStatusMap: Ready False and
// Unknown, and the pressure and NetworkUnavailable conditions when True.
func conditionTaintKey(c corev1.NodeCondition) (string, bool) {
	switch c.Type {
	case corev1.NodeReady:
		switch c.Status {
		case corev1.ConditionFalse:
			return corev1.TaintNodeNotReady, true
		case corev1.ConditionUnknown:
			return corev1.TaintNodeUnreachable, true
		}
	case corev1.NodeMemoryPressure:
		return corev1.TaintNodeMemoryPressure, c.Status == corev1.ConditionTrue
	case corev1.NodeDiskPressure:
		return corev1.TaintNodeDiskPressure, c.Status == corev1.ConditionTrue
	case corev1.NodePIDPressure:
		return corev1.TaintNodePIDPressure, c.Status == corev1.ConditionTrue
	case corev1.NodeNetworkUnavailable:
		return corev1.TaintNodeNetworkUnavailable, c.Status == corev1.ConditionTrue
	}
	return "", false
}

// managedNoSchedule reports whether t is a NoSchedule taint this controller
// owns: one of a condition's keys, or unschedulable. Only these are ever
// added or removed by the NoSchedule pass; a user's taints stay.
func managedNoSchedule(t corev1.Taint) bool {
	if t.Effect != corev1.TaintEffectNoSchedule {
		return false
	}
	switch t.Key {
	case corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, corev1.TaintNodeMemoryPressure,
		corev1.TaintNodeDiskPressure, corev1.TaintNodePIDPressure, corev1.TaintNodeNetworkUnavailable,
		corev1.TaintNodeUnschedulable:
		return true
	}
	return false
}

// wantedNoSchedule is the NoSchedule taints node's conditions and
// spec.unschedulable call for, in condition order then unschedulable.
func wantedNoSchedule(node *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	for _, c := range node.Status.Conditions {
		if key, ok := conditionTaintKey(c); ok && !hasTaint(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule}) {
			out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	if node.Spec.Unschedulable {
		out = append(out, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// noScheduleDiff is what the NoSchedule pass changes on node: the wanted
// taints it lacks, and the managed ones it has that are not wanted.
// Taints match by key and effect, as Taint.MatchTaint does.
func noScheduleDiff(node *corev1.Node) (add, remove []corev1.Taint) {
	wanted := wantedNoSchedule(node)
	for _, t := range wanted {
		if !hasTaint(node.Spec.Taints, t) {
			add = append(add, t)
		}
	}
	for _, t := range node.Spec.Taints {
		if managedNoSchedule(t) && !hasTaint(wanted, t) {
			remove = append(remove, t)
		}
	}
	return add, remove
}

// hasTaint reports whether taints has one of t's key and effect.
func hasTaint(taints []corev1.Taint, t corev1.Taint) bool {
	for i := range taints {
		if taints[i].MatchTaint(&t) {
			return true
		}
	}
	return false
}

// applyTaints returns taints without those of remove's keys and effects,
// then with those of add that it lacks appended, stamped with now as
// upstream's SwapNodeControllerTaint stamps them; changed is false when
// the result is taints unchanged. A taint already there keeps its value
// and timeAdded. taints is not modified.
func applyTaints(taints, add, remove []corev1.Taint, now metav1.Time) (out []corev1.Taint, changed bool) {
	out = make([]corev1.Taint, 0, len(taints)+len(add))
	for _, t := range taints {
		if hasTaint(remove, t) {
			changed = true
			continue
		}
		out = append(out, t)
	}
	for _, t := range add {
		if hasTaint(out, t) {
			continue
		}
		t.TimeAdded = &now
		out = append(out, t)
		changed = true
	}
	return out, changed
}
