package statefulset

import (
	"cmp"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// op is what an action does to a pod.
type op int

const (
	// opCreate creates the pod's claims, then the pod.
	opCreate op = iota
	// opDelete deletes the pod.
	opDelete
	// opUpdate gives the pod its identity and storage, and its claims the
	// owner references the retention policy wants.
	opUpdate
	// opClaims creates the pod's missing claims and sets their owner
	// references (a pending pod, or a condemned one).
	opClaims
)

func (o op) String() string {
	return [...]string{"create", "delete", "update", "claims"}[o]
}

// action is one write a sync makes.
type action struct {
	op  op
	pod *corev1.Pod
	// claims: before an update, create the pod's missing claims.
	claims bool
}

// plan is what one sync of a StatefulSet does, as upstream's
// updateStatefulSet decides it: the status it reports, and the actions in
// phases (the set's pods, the claims of condemned pods, the deletion of
// condemned pods, the rolling update). A phase runs only when the one
// before succeeded; under OrderedReady its actions run one by one, in
// order, and the first failure ends it.
type plan struct {
	status   appsv1.StatefulSetStatus
	phases   [][]action
	parallel bool
}

// planInput is what a plan is made from.
type planInput struct {
	set                   *appsv1.StatefulSet
	currentSet, updateSet *appsv1.StatefulSet
	currentRevision       string
	updateRevision        string
	collisionCount        int32
	pods                  []*corev1.Pod
	claim                 func(name string) *corev1.PersistentVolumeClaim
	now                   time.Time
	statusOnly            bool
}

// makePlan decides a sync: pods missing from [start, end] are made in
// ordinal order, failed and succeeded pods deleted to be made again, pods
// beyond the range deleted from the highest ordinal down, and pods of an
// old revision deleted from the highest ordinal down to the partition,
// within maxUnavailable. Under OrderedReady a pod is made only once every
// pod before it is running, ready and available, and nothing is deleted
// while an earlier pod is not; under Parallel nothing waits.
func makePlan(in planInput) plan {
	set := in.set
	minReady := set.Spec.MinReadySeconds
	p := plan{parallel: set.Spec.PodManagementPolicy == appsv1.ParallelPodManagement}
	p.status = appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation,
		CurrentRevision:    in.currentRevision,
		UpdateRevision:     in.updateRevision,
		CollisionCount:     &in.collisionCount,
	}
	countPods(&p.status, minReady, in.now, in.currentRevision, in.updateRevision, in.pods)

	start, n := startOrdinal(set), replicasOf(set)
	replicas := make([]*corev1.Pod, n)
	var condemned []*corev1.Pod
	for _, pod := range in.pods {
		switch ord := ordinalOf(pod); {
		case inRange(pod, set):
			replicas[ord-start] = pod
		case ord >= 0:
			condemned = append(condemned, pod)
		}
	}
	for i := range replicas {
		if replicas[i] == nil {
			replicas[i] = newVersionedPod(in.currentSet, in.updateSet, in.currentRevision, in.updateRevision, start+i)
		}
	}
	slices.SortFunc(condemned, func(a, b *corev1.Pod) int { return cmp.Compare(ordinalOf(b), ordinalOf(a)) })

	var firstUnavailable *corev1.Pod
	for _, pod := range replicas {
		if unavailable(pod, minReady, in.now) {
			firstUnavailable = pod
			break
		}
	}
	for i := len(condemned) - 1; i >= 0 && firstUnavailable == nil; i-- {
		if unavailable(condemned[i], minReady, in.now) {
			firstUnavailable = condemned[i]
		}
	}
	if in.statusOnly || set.DeletionTimestamp != nil {
		return p
	}
	ordered := !p.parallel

	// The set's pods, in ordinal order.
	var phase []action
	for _, pod := range replicas {
		acts, stop := in.replica(pod, ordered)
		phase = append(phase, acts...)
		if stop && ordered {
			p.phases = append(p.phases, phase)
			return p
		}
	}
	p.phases = append(p.phases, phase)

	// The claims of the pods beyond the range, as the policy wants them
	// for scaled-down pods.
	phase = nil
	for _, pod := range condemned {
		if !in.claimsUpToDate(in.updateSet, pod) {
			phase = append(phase, action{op: opClaims, pod: pod})
		}
	}
	p.phases = append(p.phases, phase)

	// The pods beyond the range, highest ordinal first.
	phase = nil
	for _, pod := range condemned {
		if terminating(pod) {
			if ordered {
				p.phases = append(p.phases, phase)
				return p
			}
			continue
		}
		if ordered && pod != firstUnavailable && unavailable(pod, minReady, in.now) {
			p.phases = append(p.phases, phase)
			return p
		}
		phase = append(phase, action{op: opDelete, pod: pod})
		if ordered {
			break
		}
	}
	p.phases = append(p.phases, phase)
	if ordered && len(phase) > 0 {
		return p
	}
	if set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return p
	}
	p.phases = append(p.phases, in.rollingUpdate(replicas, &p.status))
	return p
}

// replica is upstream's processReplica for one pod in the range: what to do
// with it, and whether an ordered sync stops there.
func (in planInput) replica(pod *corev1.Pod, ordered bool) ([]action, bool) {
	if finished(pod) {
		if terminating(pod) {
			return nil, true
		}
		return []action{{op: opDelete, pod: pod}}, true
	}
	if !created(pod) {
		if in.claimIsStale(pod) {
			// A claim still belongs to an earlier pod of that name, which
			// the garbage collector is deleting with it: wait.
			return nil, true
		}
		return []action{{op: opCreate, pod: pod}}, true
	}
	var acts []action
	claims := pod.Status.Phase == corev1.PodPending && in.claimsMissing(pod)
	if ordered && (terminating(pod) || !runningAndReady(pod) || !available(pod, in.set.Spec.MinReadySeconds, in.now)) {
		if claims {
			acts = append(acts, action{op: opClaims, pod: pod})
		}
		return acts, true
	}
	if identityMatches(in.set, pod) && storageMatches(in.set, pod) && in.claimsUpToDate(in.updateSet, pod) {
		if claims {
			acts = append(acts, action{op: opClaims, pod: pod})
		}
		return acts, false
	}
	return []action{{op: opUpdate, pod: pod, claims: claims}}, false
}

// claimIsStale is upstream's PodClaimIsStale: under whenScaled Delete, a
// claim of pod (not made yet) that refers to an earlier pod of its name.
func (in planInput) claimIsStale(pod *corev1.Pod) bool {
	if retention(in.set).WhenScaled == retain {
		return false
	}
	for _, c := range claimsFor(in.set, pod) {
		if existing := in.claim(c.Name); existing != nil && staleRef(existing, pod, podKind) {
			return true
		}
	}
	return false
}

// claimsMissing reports whether one of pod's claims does not exist or is
// being deleted, or has owner references the policy does not want.
func (in planInput) claimsMissing(pod *corev1.Pod) bool {
	for _, c := range claimsFor(in.set, pod) {
		if existing := in.claim(c.Name); existing == nil || existing.DeletionTimestamp != nil || !claimUpToDate(existing, in.set, pod) {
			return true
		}
	}
	return false
}

// claimsUpToDate reports whether each existing claim of pod has the owner
// references set's policy wants (a missing one is made later).
func (in planInput) claimsUpToDate(set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	for _, c := range claimsFor(set, pod) {
		if existing := in.claim(c.Name); existing != nil && !claimUpToDate(existing, set, pod) {
			return false
		}
	}
	return true
}

// rollingUpdate deletes, from the highest ordinal down to the partition,
// the pods not of the update revision, as many as maxUnavailable leaves
// room for beside the unavailable ones (upstream's MaxUnavailableStatefulSet,
// on by default since v1.35; maxUnavailable is 1 unless set). Each deleted
// pod stops counting as current.
func (in planInput) rollingUpdate(replicas []*corev1.Pod, status *appsv1.StatefulSetStatus) []action {
	set := in.set
	partition, maxUnavailable := 0, 1
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if ru.Partition != nil {
			partition = int(*ru.Partition)
		}
		maxUnavailable = maxUnavailableOf(ru.MaxUnavailable, replicasOf(set))
	}
	down := 0
	for _, pod := range replicas {
		if unavailable(pod, set.Spec.MinReadySeconds, in.now) {
			down++
		}
	}
	var acts []action
	for i := len(replicas) - 1; i >= partition && down+len(acts) < maxUnavailable; i-- {
		if pod := replicas[i]; revisionOf(pod) != in.updateRevision && !terminating(pod) {
			acts = append(acts, action{op: opDelete, pod: pod})
			status.CurrentReplicas--
		}
	}
	return acts
}

// maxUnavailableOf is maxUnavailable (1 when unset) scaled to replicas,
// a percentage rounded down, and at least 1.
func maxUnavailableOf(v *intstr.IntOrString, replicas int) int {
	one := intstr.FromInt32(1)
	n, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(v, one), replicas, false)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// countPods counts pods into status: those that exist, those running
// and ready, those also available, and those not being deleted of the
// current and of the update revision.
func countPods(status *appsv1.StatefulSetStatus, minReady int32, now time.Time, current, update string, pods []*corev1.Pod) {
	status.Replicas, status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas = 0, 0, 0, 0, 0
	for _, pod := range pods {
		if !created(pod) {
			continue
		}
		status.Replicas++
		if runningAndReady(pod) {
			status.ReadyReplicas++
			if available(pod, minReady, now) {
				status.AvailableReplicas++
			}
		}
		if terminating(pod) {
			continue
		}
		if revisionOf(pod) == current {
			status.CurrentReplicas++
		}
		if revisionOf(pod) == update {
			status.UpdatedReplicas++
		}
	}
}

// completeRollingUpdate marks a rolling update done once every replica
// the spec asks for exists, is ready and is of the update revision: the
// update revision becomes the current one.
func completeRollingUpdate(set *appsv1.StatefulSet, status *appsv1.StatefulSetStatus) {
	n := int32(replicasOf(set))
	if set.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType &&
		status.UpdatedReplicas == n && status.ReadyReplicas == n && status.Replicas == n {
		status.CurrentReplicas = status.UpdatedReplicas
		status.CurrentRevision = status.UpdateRevision
	}
}

// statusChanged reports whether status says more than set's: a newer
// generation observed, or other counts or revisions. The collision count
// alone is not worth a write, as upstream.
func statusChanged(set *appsv1.StatefulSet, status *appsv1.StatefulSetStatus) bool {
	s := set.Status
	return status.ObservedGeneration > s.ObservedGeneration ||
		status.Replicas != s.Replicas || status.CurrentReplicas != s.CurrentReplicas ||
		status.ReadyReplicas != s.ReadyReplicas || status.UpdatedReplicas != s.UpdatedReplicas ||
		status.AvailableReplicas != s.AvailableReplicas ||
		status.CurrentRevision != s.CurrentRevision || status.UpdateRevision != s.UpdateRevision
}
