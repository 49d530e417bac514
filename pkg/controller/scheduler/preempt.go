package scheduler

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// preemptPlan is what preemption decided: evict victims from node, then
// the pod goes there.
type preemptPlan struct {
	node    string
	victims []*corev1.Pod
	// unnominate are lower priority pods nominated to node that no longer
	// fit there, whose nomination is cleared.
	unnominate []*corev1.Pod
}

// preemptionResult is the DefaultPreemption PostFilter's answer: a
// message when it found nothing to do (without the "preemption: "
// prefix), else a plan.
type preemptionResult struct {
	message  string
	nominate nomination
	plan     *preemptPlan
}

// preemptLocked is DefaultPreemption's PostFilter (without
// PodDisruptionBudgets, which fakecluster does not serve): on the nodes
// that turned the pod down for a reason eviction can fix, find the fewest,
// least important pods of lower priority whose eviction makes it fit, and
// pick the node where that costs least.
func (s *Scheduler) preemptLocked(c *cycle, d diagnosis, all []*nodeInfo) preemptionResult {
	pod := c.pod.pod
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return preemptionResult{message: msgPreemptNever, nominate: keepNomination}
	}
	if name := pod.Status.NominatedNodeName; name != "" {
		st, ok := d.nodes[name]
		if !ok {
			st = d.absent
		}
		if n := s.cache.nodes[name]; n != nil && (st == nil || st.code != unresolvable) {
			for _, v := range n.pods {
				if v.priority < c.pod.priority && terminatingByPreemption(v.pod) {
					return preemptionResult{message: msgTerminatingVictim, nominate: keepNomination}
				}
			}
		}
	}

	notHelpful := newStatus(unresolvable, reasonPreemptionNotHelpful)
	statuses := map[string]*status{}
	type candidate struct {
		node    *nodeInfo
		victims []*podInfo
	}
	var candidates []candidate
	for _, n := range all {
		st, ok := d.nodes[n.name]
		if !ok {
			st = d.absent
		}
		if st == nil || st.code != unschedulable {
			continue
		}
		victims, why := s.selectVictimsLocked(c, n)
		if why != nil {
			statuses[n.name] = why
			continue
		}
		candidates = append(candidates, candidate{n, victims})
	}
	if len(candidates) == 0 {
		return preemptionResult{message: fitErrorMessage(len(all), diagnosis{nodes: statuses, absent: notHelpful}),
			nominate: clearNomination}
	}

	// pickOneNodeForPreemption's criteria in turn (PDB violations aside):
	// the lowest highest victim priority, the lowest sum of priorities,
	// the fewest victims, the latest start of the most important victims;
	// then the first node.
	scoreFuncs := []func(v []*podInfo) int64{
		func(v []*podInfo) int64 { return -int64(v[0].priority) },
		func(v []*podInfo) int64 {
			var sum int64
			for _, p := range v {
				sum += int64(p.priority) + int64(math.MaxInt32+1)
			}
			return -sum
		},
		func(v []*podInfo) int64 { return -int64(len(v)) },
		func(v []*podInfo) int64 { return earliestStart(v).UnixNano() },
	}
	for _, f := range scoreFuncs {
		best := int64(math.MinInt64)
		var kept []candidate
		for _, cand := range candidates {
			switch sc := f(cand.victims); {
			case sc > best:
				best, kept = sc, append(kept[:0], cand)
			case sc == best:
				kept = append(kept, cand)
			}
		}
		candidates = kept
		if len(candidates) == 1 {
			break
		}
	}
	chosen := candidates[0]
	plan := &preemptPlan{node: chosen.node.name}
	for _, v := range chosen.victims {
		plan.victims = append(plan.victims, v.pod)
	}
	for key, p := range s.cache.nominated[chosen.node.name] {
		if key != c.pod.key && p.priority < c.pod.priority {
			plan.unnominate = append(plan.unnominate, p.pod)
		}
	}
	return preemptionResult{nominate: nomination{node: chosen.node.name}, plan: plan}
}

// selectVictimsLocked is SelectVictimsOnNode: with every lower priority
// pod gone, does the pod fit n? If so, give back as many of them as still
// lets it fit, most important first; the rest are the victims, most
// important first. Otherwise it returns why not.
func (s *Scheduler) selectVictimsLocked(c *cycle, n *nodeInfo) ([]*podInfo, *status) {
	var potential []*podInfo
	for _, p := range n.pods {
		if p.priority < c.pod.priority {
			potential = append(potential, p)
		}
	}
	if len(potential) == 0 {
		return nil, newStatus(unresolvable, reasonNoVictims)
	}
	without := n.clone()
	for _, p := range potential {
		without.removePod(p.key)
	}
	nominated := s.cache.nominated[n.name]
	if st := c.filterWithNominated(without, nominated); st != nil {
		return nil, st
	}
	sort.Slice(potential, func(i, j int) bool { return moreImportant(potential[i], potential[j]) })
	var victims []*podInfo
	for _, p := range potential {
		without.addPod(p)
		if c.filterWithNominated(without, nominated) != nil {
			without.removePod(p.key)
			victims = append(victims, p)
		}
	}
	if len(victims) == 0 {
		// The node turned the pod down for its nominated pods, which
		// preemption does not evict.
		return nil, newStatus(unschedulable, fmt.Sprintf("expected at least one victim pod on node %q", n.name))
	}
	return victims, nil
}

// moreImportant is upstream's MoreImportantPod: higher priority, then the
// one that started earlier.
func moreImportant(a, b *podInfo) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	return startTime(a.pod).Before(startTime(b.pod))
}

// startTime is when pod started, or now for one that has not.
func startTime(pod *corev1.Pod) time.Time {
	if pod.Status.StartTime != nil {
		return pod.Status.StartTime.Time
	}
	return time.Now()
}

// earliestStart is upstream's GetEarliestPodStartTime: the earliest start
// among the victims of the highest priority.
func earliestStart(victims []*podInfo) time.Time {
	top := victims[0].priority
	earliest := startTime(victims[0].pod)
	for _, v := range victims[1:] {
		if v.priority == top {
			if t := startTime(v.pod); t.Before(earliest) {
				earliest = t
			}
		}
	}
	return earliest
}

// terminatingByPreemption reports whether pod is going because the
// scheduler preempted it.
func terminatingByPreemption(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp == nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget {
			return c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler
		}
	}
	return false
}

// preempt carries out plan for preemptor, as upstream's prepareCandidate:
// each victim gets the DisruptionTarget condition, is deleted and gets a
// Preempted event; the lower priority pods nominated to the node lose
// their nomination.
func (s *Scheduler) preempt(ctx context.Context, preemptor *corev1.Pod, plan *preemptPlan) {
	logger := klog.FromContext(ctx)
	for _, victim := range plan.victims {
		if victim.DeletionTimestamp != nil {
			continue // its graceful deletion has begun
		}
		cond := &corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
			Reason: corev1.PodReasonPreemptionByScheduler, ObservedGeneration: victim.Generation,
			Message: fmt.Sprintf("%s: preempting to accommodate a higher priority pod", preemptor.Spec.SchedulerName)}
		if err := patchStatus(ctx, s.client, s.clock, victim, cond, keepNomination); err != nil {
			if !apierrors.IsNotFound(err) {
				logger.Error(err, "Could not add DisruptionTarget condition due to preemption", "preemptor", klog.KObj(preemptor), "victim", klog.KObj(victim))
			}
			continue
		}
		if err := s.client.CoreV1().Pods(victim.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{}); err != nil {
			if !apierrors.IsNotFound(err) {
				logger.Error(err, "Tried to preempted pod", "pod", klog.KObj(victim), "preemptor", klog.KObj(preemptor))
			}
			continue
		}
		logger.V(2).Info("Preemptor Pod preempted victim Pod", "preemptor", klog.KObj(preemptor), "victim", klog.KObj(victim), "node", plan.node)
		s.events.Eventf(victim, preemptor, corev1.EventTypeNormal, "Preempted", "Preempting", "Preempted by pod %v on node %v", preemptor.UID, plan.node)
	}
	for _, p := range plan.unnominate {
		if err := patchStatus(ctx, s.client, s.clock, p, nil, clearNomination); err != nil && !apierrors.IsNotFound(err) {
			logger.Error(err, "Cannot clear 'NominatedNodeName' field", "pod", klog.KObj(p))
		}
	}
}
