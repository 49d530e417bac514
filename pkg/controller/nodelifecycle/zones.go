package nodelifecycle

import (
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/flowcontrol"
)

// zoneState is how disrupted a zone is, as upstream's ZoneState.
type zoneState string

const (
	stateInitial           zoneState = "Initial"
	stateNormal            zoneState = "Normal"
	stateFullDisruption    zoneState = "FullDisruption"
	statePartialDisruption zoneState = "PartialDisruption"
)

// labelExcludeDisruption keeps a Node out of its zone's disruption count.
const labelExcludeDisruption = "node.kubernetes.io/exclude-disruption"

// zoneStateOf is the state of a zone whose Nodes have the given Ready
// conditions (nil for a Node without one), and how many of them are not
// ready: fully disrupted when none is ready, partially when more than two
// and at least threshold of them are not, normal otherwise.
func zoneStateOf(ready []*corev1.NodeCondition, threshold float32) (int, zoneState) {
	readyCount, notReady := 0, 0
	for _, c := range ready {
		if c != nil && c.Status == corev1.ConditionTrue {
			readyCount++
		} else {
			notReady++
		}
	}
	switch {
	case readyCount == 0 && notReady > 0:
		return notReady, stateFullDisruption
	case notReady > 2 && float32(notReady)/float32(notReady+readyCount) >= threshold:
		return notReady, statePartialDisruption
	default:
		return notReady, stateNormal
	}
}

// zoneRate is the rate (Nodes a second) at which a zone of size Nodes in
// state is tainted, as upstream's setLimiterInZone with its HealthyQPSFunc
// and ReducedQPSFunc.
func zoneRate(state zoneState, size int, opts Options) float32 {
	switch state {
	case statePartialDisruption:
		if int32(size) > opts.LargeClusterSizeThreshold {
			return opts.SecondaryNodeEvictionRate
		}
		return 0
	default:
		return opts.NodeEvictionRate
	}
}

// evictionBurst is upstream's EvictionRateLimiterBurst.
const evictionBurst = 1

// taintQueue is one zone's queue of Nodes waiting for a NoExecute taint,
// as upstream's RateLimitedTimedQueue: each Node once (a Node stays a
// member after it is processed, so that it is not queued again until it
// is removed), in order of when it is due, taken no faster than the rate.
type taintQueue struct {
	mu sync.Mutex
	// members is every Node added and not removed; items those not yet
	// processed, in order of due time.
	members map[string]bool
	items   []taintItem
	limiter flowcontrol.RateLimiter
	// rate is what limiter was made for (a never-limiter reports 1).
	rate float32
}

// taintItem is one queued Node.
type taintItem struct {
	name string
	due  time.Time
}

func newTaintQueue(rate float32) *taintQueue {
	q := &taintQueue{members: map[string]bool{}}
	q.limiter, q.rate = newLimiter(rate), rate
	return q
}

func newLimiter(rate float32) flowcontrol.RateLimiter {
	if rate <= 0 {
		return flowcontrol.NewFakeNeverRateLimiter()
	}
	return flowcontrol.NewTokenBucketRateLimiter(rate, evictionBurst)
}

// add queues Node name, due now, and reports whether it was not a member.
func (q *taintQueue) add(name string, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.members[name] {
		return false
	}
	q.members[name] = true
	q.insert(taintItem{name: name, due: now})
	return true
}

// remove forgets Node name and reports whether it was a member.
func (q *taintQueue) remove(name string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.members[name] {
		return false
	}
	delete(q.members, name)
	q.items = slices.DeleteFunc(q.items, func(it taintItem) bool { return it.name == name })
	return true
}

func (q *taintQueue) insert(it taintItem) {
	i, _ := slices.BinarySearchFunc(q.items, it.due, func(a taintItem, due time.Time) int { return a.due.Compare(due) })
	for i < len(q.items) && !q.items[i].due.After(it.due) {
		i++
	}
	q.items = slices.Insert(q.items, i, it)
}

// try calls fn with the due Nodes, head first, while the limiter lets it:
// a Node for which fn returns done stays a member but leaves the queue; one
// for which it does not is due again after retry. fn runs without the
// queue's lock, so it may take time and call add and remove.
func (q *taintQueue) try(now func() time.Time, fn func(name string) (done bool, retry time.Duration)) {
	for {
		q.mu.Lock()
		if len(q.items) == 0 || !q.limiter.TryAccept() {
			q.mu.Unlock()
			return
		}
		head := q.items[0]
		t := now()
		if t.Before(head.due) {
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()

		done, retry := fn(head.name)

		q.mu.Lock()
		i := slices.IndexFunc(q.items, func(it taintItem) bool { return it.name == head.name && it.due.Equal(head.due) })
		if i >= 0 {
			q.items = slices.Delete(q.items, i, i+1)
			if !done {
				q.insert(taintItem{name: head.name, due: t.Add(retry + 1)})
			}
		}
		q.mu.Unlock()
	}
}

// setRate changes the rate, as upstream's SwapLimiter: if the old limiter
// has no token left, the new one starts without one either.
func (q *taintQueue) setRate(rate float32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if rate == q.rate {
		return
	}
	l := newLimiter(rate)
	if rate > 0 && !q.limiter.TryAccept() {
		l.TryAccept()
	}
	q.limiter.Stop()
	q.limiter, q.rate = l, rate
}

// len is how many Nodes are waiting, for tests.
func (q *taintQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
