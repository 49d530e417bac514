package scheduler

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// enableTaintComparisonOperators is the TaintTolerationComparisonOperators
// feature gate, alpha and off by default in v1.37: tolerations compare
// values with Equal and Exists only.
const enableTaintComparisonOperators = false

// cycle is one attempt to place one pod: what the PreFilter plugins work
// out once and the Filter plugins then read for every node.
type cycle struct {
	pod    *podInfo
	logger klog.Logger
	// affinity is the pod's nodeSelector and required node affinity; nil
	// when it has neither (the NodeAffinity plugin skips the pod).
	affinity *nodeaffinity.RequiredNodeAffinity
	// nodeNames, if not nil, are the only nodes NodeAffinity's PreFilter
	// lets through: those its required terms name with metadata.name In.
	nodeNames sets.Set[string]
	// volumes is the VolumeBinding plugin's state, nil for a pod without
	// claims; vb what it reads.
	volumes *volumeState
	vb      *volumeBinder
}

// preFilter runs the PreFilter plugins that can turn a pod down or narrow
// its nodes (NodeAffinity); it returns the status when they turn it down
// for every node.
func preFilter(logger klog.Logger, p *podInfo) (*cycle, *status) {
	c := &cycle{pod: p, logger: logger}
	pod := p.pod
	var required *corev1.NodeSelector
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		required = a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	if required == nil && pod.Spec.NodeSelector == nil {
		return c, nil
	}
	ra := nodeaffinity.GetRequiredNodeAffinity(pod)
	c.affinity = &ra
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		return c, nil
	}
	// Terms are ORed, the requirements of a term ANDed: a term without a
	// metadata.name In requirement lets every node through.
	var names sets.Set[string]
	for _, t := range required.NodeSelectorTerms {
		var term sets.Set[string]
		for _, r := range t.MatchFields {
			if r.Key == metav1.ObjectNameField && r.Operator == corev1.NodeSelectorOpIn {
				if term == nil {
					term = sets.New(r.Values...)
				} else {
					term = term.Intersection(sets.New(r.Values...))
				}
			}
		}
		if term == nil {
			return c, nil
		}
		names = names.Union(term)
	}
	if len(names) == 0 {
		return c, newStatus(unresolvable, reasonAffinityConflict)
	}
	c.nodeNames = names
	return c, nil
}

// filter runs the Filter plugins of the default profile on n in their
// order (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
// NodePorts, NodeResourcesFit, VolumeBinding), stopping at the first that
// turns the node down, as the framework does. The topology and inter-pod
// affinity plugins pass every pod here: fakecluster does not implement
// them.
func (c *cycle) filter(n *nodeInfo) *status {
	pod, node := c.pod.pod, n.node
	if node.Spec.Unschedulable && !corev1helpers.TolerationsTolerateTaint(c.logger, pod.Spec.Tolerations,
		&corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}, enableTaintComparisonOperators) {
		return newStatus(unresolvable, reasonUnschedulable)
	}
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != node.Name {
		return newStatus(unresolvable, "node(s) didn't match the requested node name")
	}
	if _, bad := corev1helpers.FindMatchingUntoleratedTaint(c.logger, node.Spec.Taints, pod.Spec.Tolerations,
		doNotSchedule, enableTaintComparisonOperators); bad {
		return newStatus(unresolvable, reasonTaint)
	}
	if c.affinity != nil {
		// Parse errors count as no match, as upstream (the API does not
		// validate every term).
		if ok, _ := c.affinity.Match(node); !ok {
			return newStatus(unresolvable, reasonAffinity)
		}
	}
	for _, want := range c.pod.ports {
		for _, used := range n.ports {
			if want.conflicts(used) {
				return newStatus(unschedulable, reasonPorts)
			}
		}
	}
	if st := c.fits(n); st != nil {
		return st
	}
	return c.volumes.filter(c.vb, node)
}

// doNotSchedule keeps the taints that keep pods off a node: NoSchedule and
// NoExecute, not PreferNoSchedule (which only scores).
func doNotSchedule(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// fits is NodeResourcesFit's Filter: every resource the node lacks, the
// pod count first. A request more than the whole node offers is
// unresolvable (no eviction makes room), as upstream since v1.34.
func (c *cycle) fits(n *nodeInfo) *status {
	var reasons []string
	code := unschedulable
	if int64(len(n.pods))+1 > n.allowedPods {
		reasons = append(reasons, reasonTooManyPods)
	}
	req := c.pod.req
	if req.isZero() {
		if len(reasons) == 0 {
			return nil
		}
		return newStatus(code, reasons...)
	}
	check := func(name string, want, have, used int64) {
		if want > 0 && want > have-used {
			reasons = append(reasons, insufficient(name))
			if want > have {
				code = unresolvable
			}
		}
	}
	check(string(corev1.ResourceCPU), req.milliCPU, n.allocatable.milliCPU, n.requested.milliCPU)
	check(string(corev1.ResourceMemory), req.memory, n.allocatable.memory, n.requested.memory)
	check(string(corev1.ResourceEphemeralStorage), req.ephemeral, n.allocatable.ephemeral, n.requested.ephemeral)
	if len(req.scalar) > 0 {
		// Upstream walks a map here, so the order of several scalar
		// reasons on one node varies; sorted, it does not.
		names := make([]string, 0, len(req.scalar))
		for name := range req.scalar {
			names = append(names, string(name))
		}
		sort.Strings(names)
		for _, name := range names {
			r := corev1.ResourceName(name)
			check(name, req.scalar[r], n.allocatable.scalar[r], n.requested.scalar[r])
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	return newStatus(code, reasons...)
}

// filterWithNominated is RunFilterPluginsWithNominatedPods: n as it would
// be with the pods of equal or higher priority that preemption made room
// for on it, so that this pod does not take their room. (Upstream also
// filters without them, for inter-pod affinity, which is not implemented
// here: with these filters more pods never make a node fit.)
func (c *cycle) filterWithNominated(n *nodeInfo, nominated map[string]*podInfo) *status {
	var with *nodeInfo
	for key, p := range nominated {
		if key == c.pod.key || p.priority < c.pod.priority {
			continue
		}
		if with == nil {
			with = n.clone()
		}
		with.addPod(p)
	}
	if with == nil {
		with = n
	}
	return c.filter(with)
}
