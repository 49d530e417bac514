package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Upstream's bounds on how many feasible nodes a cycle looks for before it
// stops filtering (minFeasibleNodesToFind, minFeasibleNodesPercentageToFind)
// and scores: every node in clusters of fewer than 100.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// decision is the outcome of one scheduling cycle.
type decision struct {
	// node is where the pod goes; the cache already counts it there.
	node string
	// When node is empty: reason and message are the PodScheduled
	// condition's (and message the FailedScheduling event's), nominate
	// what becomes of status.nominatedNodeName, and preempt, if not nil,
	// the pods to evict to make room.
	// volumes, if not nil, is what PreBind must do before the binding.
	volumes         *volumePlan
	reason, message string
	nominate        nomination
	preempt         *preemptPlan
}

// schedule is one scheduling cycle for p, on the cache as it is: the
// PreFilter and Filter plugins over the nodes, the score plugins over
// those that fit, and on a fit the assumption that p is on the best one.
// When none fits, the PostFilter plugins (DRA, then preemption) decide
// what could make room, and the decision says why.
func (s *Scheduler) schedule(logger klog.Logger, p *podInfo) decision {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	all := make([]*nodeInfo, 0, len(s.cache.names))
	for _, name := range s.cache.names {
		all = append(all, s.cache.nodes[name])
	}
	if len(all) == 0 {
		return decision{reason: corev1.PodReasonUnschedulable, message: errNoNodesAvailable, nominate: clearNomination}
	}

	c, st := preFilter(logger, p)
	if st == nil {
		c.vb = s.volumes
		c.volumes, st = s.preFilterVolumesLocked(p)
	}
	if st != nil {
		// Every node gets the PreFilter's status; the DRA plugin, whose
		// PreFilter did not run, then fails its PostFilter and no
		// preemption is tried (its error text is not reproduced).
		d := diagnosis{absent: st, preFilterMsg: st.message()}
		return decision{reason: corev1.PodReasonUnschedulable, message: fitErrorMessage(len(all), d), nominate: clearNomination}
	}

	// A pod that preemption nominated a node for tries that node first.
	if name := p.pod.Status.NominatedNodeName; name != "" {
		if n, ok := s.cache.nodes[name]; ok && n.node != nil && c.filterWithNominated(n, s.cache.nominated[name]) == nil {
			return s.reserveLocked(c, n)
		}
	}

	nodes := all
	d := diagnosis{nodes: map[string]*status{}}
	if c.nodeNames != nil {
		nodes = nodes[:0:0]
		for _, n := range all {
			if c.nodeNames.Has(n.name) {
				nodes = append(nodes, n)
			}
		}
		d.absent = newStatus(unresolvable, fmt.Sprintf(reasonNotPreFiltered, []string{"NodeAffinity"}))
	}
	feasible := s.findFeasibleLocked(c, nodes, d.nodes, len(all))
	switch len(feasible) {
	case 0:
		return s.failLocked(c, d, all)
	case 1:
		return s.reserveLocked(c, feasible[0])
	}
	best := s.pickLocked(c.scores(feasible))
	return s.reserveLocked(c, feasible[best])
}

// reserveLocked assumes the pod on n, and its volumes as the VolumeBinding
// plugin's Reserve does.
func (s *Scheduler) reserveLocked(c *cycle, n *nodeInfo) decision {
	s.cache.assumeLocked(c.pod, n.name)
	return decision{node: n.name, volumes: s.reserveVolumesLocked(c.volumes, n)}
}

// findFeasibleLocked filters nodes from where the last cycle stopped, as
// upstream's nextStartNodeIndex, so that every node gets its turn when not
// all are looked at; it records the nodes turned down in rejected.
func (s *Scheduler) findFeasibleLocked(c *cycle, nodes []*nodeInfo, rejected map[string]*status, numAll int) []*nodeInfo {
	want := numFeasibleNodesToFind(len(nodes))
	var feasible []*nodeInfo
	for i := range nodes {
		n := nodes[(s.nextStart+i)%len(nodes)]
		if st := c.filterWithNominated(n, s.cache.nominated[n.name]); st != nil {
			rejected[n.name] = st
			continue
		}
		feasible = append(feasible, n)
		if len(feasible) >= want {
			break
		}
	}
	s.nextStart = (s.nextStart + len(feasible) + len(rejected)) % numAll
	return feasible
}

// numFeasibleNodesToFind is upstream's: every node below 100, else a
// share that shrinks as the cluster grows (50% less 1% per 125 nodes, at
// least 5% and 100 nodes).
func numFeasibleNodesToFind(n int) int {
	if n < minFeasibleNodesToFind {
		return n
	}
	pct := max(50-n/125, minFeasibleNodesPercentageToFind)
	return max(n*pct/100, minFeasibleNodesToFind)
}

// pickLocked returns the index of the highest score. Upstream picks among
// equal scores at random; here they take turns, so that identical nodes
// share pods evenly and a run can be repeated.
func (s *Scheduler) pickLocked(scores []int64) int {
	var ties []int
	for i, sc := range scores {
		switch {
		case len(ties) == 0 || sc > scores[ties[0]]:
			ties = append(ties[:0], i)
		case sc == scores[ties[0]]:
			ties = append(ties, i)
		}
	}
	i := ties[s.ties%len(ties)]
	s.ties++
	return i
}

// failLocked is the end of a cycle no node passed: the PostFilter plugins
// run and the FitError message is built.
func (s *Scheduler) failLocked(c *cycle, d diagnosis, all []*nodeInfo) decision {
	out := decision{reason: corev1.PodReasonUnschedulable}
	pre := s.preemptLocked(c, d, all)
	out.nominate, out.preempt = pre.nominate, pre.plan
	if pre.message != "" {
		// The DynamicResources PostFilter said its piece first; both
		// turned the pod down, so the framework joins their reasons.
		d.postFilterMsg = msgNoClaims + ", " + preemptionPrefix + pre.message
	}
	out.message = fitErrorMessage(len(all), d)
	if pre.plan != nil {
		s.cache.setNominatedLocked(c.pod, pre.plan.node)
	}
	return out
}
