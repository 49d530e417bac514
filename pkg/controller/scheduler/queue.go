package scheduler

import (
	"container/heap"
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/clock"
)

// Where a queued pod is.
const (
	inActive = iota + 1
	inBackoff
	inErrorBackoff
	inUnschedulable
	inGated
	inFlight
)

// queuedPod is a pending pod in the queue: kube-scheduler's QueuedPodInfo.
type queuedPod struct {
	info *podInfo
	// timestamp orders pods of equal priority in the active queue: when
	// the pod was added, or last put back after a failed attempt.
	timestamp time.Time
	// attempts counts the scheduling attempts, for the back-off.
	attempts int
	// unschedulableSince is when it went into the unschedulable pods.
	unschedulableSince time.Time
	// movedInFlight records an event that could make it schedulable while
	// it was being scheduled: a failure then backs off instead of waiting
	// for another event.
	movedInFlight bool
	where         int
	index         int // in its heap
}

func (q *queuedPod) gated() bool { return len(q.info.pod.Spec.SchedulingGates) > 0 }

// queue is kube-scheduler's scheduling queue: an active queue by priority,
// then age; back-off queues for pods that failed, the delay doubling from
// initialBackoff to maxBackoff with each attempt; and the unschedulable
// pods, which wait for a cluster event that may make room (a node added or
// changed, a pod gone) or, at the latest, maxUnschedulable. Gated pods wait
// for their gates to go.
type queue struct {
	clock                                          clock.Clock
	initialBackoff, maxBackoff, maxInUnschedulable time.Duration

	mu     sync.Mutex
	wake   chan struct{} // a token when something may be ready
	pods   map[string]*queuedPod
	active podHeap
	// backoff holds pods turned down by a filter; errorBackoff those whose
	// attempt failed with an error (a write the API refused). When the
	// active queue is empty the former are tried at once (upstream's
	// SchedulerPopFromBackoffQ, on since v1.33), the latter only when their
	// delay is over.
	backoff, errorBackoff podHeap
	unschedulable         map[string]*queuedPod
	flying                map[string]*queuedPod
}

func newQueue(clk clock.Clock, initialBackoff, maxBackoff, maxInUnschedulable time.Duration) *queue {
	return &queue{
		clock: clk, initialBackoff: initialBackoff, maxBackoff: maxBackoff, maxInUnschedulable: maxInUnschedulable,
		wake: make(chan struct{}, 1), pods: map[string]*queuedPod{}, unschedulable: map[string]*queuedPod{}, flying: map[string]*queuedPod{},
		active:       podHeap{less: byPriority},
		backoff:      podHeap{less: func(a, b *queuedPod) bool { return a.timestamp.Before(b.timestamp) }},
		errorBackoff: podHeap{less: func(a, b *queuedPod) bool { return a.timestamp.Before(b.timestamp) }},
	}
}

// byPriority is the PrioritySort plugin: higher priority first, then the
// earlier timestamp.
func byPriority(a, b *queuedPod) bool {
	if a.info.priority != b.info.priority {
		return a.info.priority > b.info.priority
	}
	return a.timestamp.Before(b.timestamp)
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// add queues a new pending pod, or updates one the queue has.
func (q *queue) add(info *podInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[info.key]; ok {
		q.updateLocked(qp, info)
		return
	}
	qp := &queuedPod{info: info, timestamp: q.clock.Now()}
	q.pods[info.key] = qp
	if qp.gated() {
		qp.where = inGated
		return
	}
	q.pushLocked(&q.active, qp, inActive)
}

// updateLocked takes a new version of a queued pod. A change to its spec
// or labels (its own update event) moves an unschedulable pod on, as
// upstream's hints for the pod's own updates do; a status update (the
// scheduler's own condition) does not.
func (q *queue) updateLocked(qp *queuedPod, info *podInfo) {
	old := qp.info.pod
	qp.info = info
	relevant := old.Generation != info.pod.Generation || !apiequality.Semantic.DeepEqual(old.Labels, info.pod.Labels) ||
		!apiequality.Semantic.DeepEqual(old.Spec, info.pod.Spec)
	switch qp.where {
	case inFlight:
		if relevant {
			qp.movedInFlight = true
		}
	case inGated:
		if !qp.gated() {
			q.pushLocked(&q.active, qp, inActive)
		}
	case inUnschedulable:
		if relevant {
			q.moveLocked(qp)
		}
	case inActive:
		heap.Fix(&q.active, qp.index)
	}
}

// remove forgets a pod that is gone, bound or no longer pending.
func (q *queue) remove(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[key]
	if !ok {
		return
	}
	delete(q.pods, key)
	q.detachLocked(qp)
}

// detachLocked takes qp out of wherever it waits.
func (q *queue) detachLocked(qp *queuedPod) {
	switch qp.where {
	case inActive:
		heap.Remove(&q.active, qp.index)
	case inBackoff:
		heap.Remove(&q.backoff, qp.index)
	case inErrorBackoff:
		heap.Remove(&q.errorBackoff, qp.index)
	case inUnschedulable:
		delete(q.unschedulable, qp.info.key)
	case inFlight:
		delete(q.flying, qp.info.key)
	}
	qp.where = 0
}

func (q *queue) pushLocked(h *podHeap, qp *queuedPod, where int) {
	q.detachLocked(qp)
	qp.where = where
	heap.Push(h, qp)
	q.signal()
}

// backoffLocked is how long qp waits after its last attempt:
// initialBackoff doubled per earlier attempt, at most maxBackoff.
func (q *queue) backoffLocked(qp *queuedPod) time.Duration {
	if qp.attempts == 0 {
		return 0
	}
	d := q.initialBackoff
	for i := 1; i < qp.attempts; i++ {
		if d > q.maxBackoff-d {
			return q.maxBackoff
		}
		d += d
	}
	return d
}

// moveLocked sends a pod on after an event that may make it schedulable:
// to the back-off queue while its delay lasts, else to the active queue.
func (q *queue) moveLocked(qp *queuedPod) {
	if q.clock.Now().Before(qp.timestamp.Add(q.backoffLocked(qp))) {
		q.pushLocked(&q.backoff, qp, inBackoff)
		return
	}
	q.pushLocked(&q.active, qp, inActive)
}

// moveAll is a cluster event that may make the unschedulable pods
// schedulable (a node added or changed, a bound pod gone): each pod for
// which match says so moves on, and pods being scheduled remember it.
func (q *queue) moveAll(match func(*podInfo) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, qp := range q.unschedulable {
		if match == nil || match(qp.info) {
			q.moveLocked(qp)
		}
	}
	for _, qp := range q.flying {
		qp.movedInFlight = true
	}
}

// outcome is how a scheduling attempt ended.
type outcome int

const (
	scheduled outcome = iota
	rejected          // no node fits: wait for an event
	failed            // an error: retry after the back-off
)

// done puts a pod back after an attempt (or forgets it once scheduled).
func (q *queue) done(key string, o outcome) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[key]
	if !ok || qp.where != inFlight {
		return // gone meanwhile
	}
	q.detachLocked(qp)
	if o == scheduled {
		delete(q.pods, key)
		return
	}
	now := q.clock.Now()
	qp.timestamp = now
	moved := qp.movedInFlight
	qp.movedInFlight = false
	switch {
	case qp.gated():
		qp.where = inGated
	case o == failed:
		q.pushLocked(&q.errorBackoff, qp, inErrorBackoff)
	case moved:
		q.pushLocked(&q.backoff, qp, inBackoff)
	default:
		qp.where = inUnschedulable
		qp.unschedulableSince = now
		q.unschedulable[key] = qp
		q.signal() // for the flush deadline
	}
}

// pop waits for the next pod to schedule and marks it in flight; it
// returns nil once ctx is done.
func (q *queue) pop(ctx context.Context) *queuedPod {
	for {
		q.mu.Lock()
		wait := q.promoteLocked()
		var qp *queuedPod
		switch {
		case q.active.Len() > 0:
			qp = heap.Pop(&q.active).(*queuedPod)
		case q.backoff.Len() > 0:
			qp = heap.Pop(&q.backoff).(*queuedPod)
		}
		if qp != nil {
			qp.where = inFlight
			q.flying[qp.info.key] = qp
			qp.attempts++
			q.mu.Unlock()
			return qp
		}
		q.mu.Unlock()

		if !q.wait(ctx, wait) {
			return nil
		}
	}
}

// wait blocks until something may be ready: a signal, or d (if not 0)
// passed. It reports false once ctx is done.
func (q *queue) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := q.clock.NewTimer(d)
		defer t.Stop()
		timer = t.C()
	}
	select {
	case <-ctx.Done():
		return false
	case <-q.wake:
	case <-timer:
	}
	return true
}

// promoteLocked moves the pods whose back-off is over to the active queue
// and flushes those unschedulable for maxInUnschedulable, and returns how
// long until the next of either is due (0 for nothing due).
func (q *queue) promoteLocked() time.Duration {
	now := q.clock.Now()
	var next time.Duration
	due := func(at time.Time) bool {
		if !at.After(now) {
			return true
		}
		if d := at.Sub(now); next == 0 || d < next {
			next = d
		}
		return false
	}
	for _, h := range []*podHeap{&q.backoff, &q.errorBackoff} {
		for h.Len() > 0 {
			qp := h.items[0]
			if !due(qp.timestamp.Add(q.backoffLocked(qp))) {
				break
			}
			q.pushLocked(&q.active, qp, inActive)
		}
	}
	for _, qp := range q.unschedulable {
		if due(qp.unschedulableSince.Add(q.maxInUnschedulable)) {
			q.moveLocked(qp)
		}
	}
	return next
}

// len counts the pods the queue holds, for tests.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pods)
}

// podHeap is a heap of queued pods that keeps each pod's index.
type podHeap struct {
	items []*queuedPod
	less  func(a, b *queuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *podHeap) Push(x any) {
	qp := x.(*queuedPod)
	qp.index = len(h.items)
	h.items = append(h.items, qp)
}
func (h *podHeap) Pop() any {
	n := len(h.items)
	qp := h.items[n-1]
	h.items[n-1] = nil
	h.items = h.items[:n-1]
	return qp
}

// schedulable reports whether pod is this scheduler's to place: not bound,
// not finished, and naming it.
func schedulable(pod *corev1.Pod, name string) bool {
	return pod.Spec.NodeName == "" && pod.Spec.SchedulerName == name && !terminal(pod)
}

// retry puts back a pod whose binding failed, into the error back-off,
// unless the queue has since had a newer version of it.
func (q *queue) retry(qp *queuedPod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.pods[qp.info.key]; ok {
		return
	}
	qp.timestamp = q.clock.Now()
	qp.movedInFlight = false
	q.pods[qp.info.key] = qp
	q.pushLocked(&q.errorBackoff, qp, inErrorBackoff)
}
