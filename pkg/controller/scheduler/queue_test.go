package scheduler

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

func queuePod(name string, priority int32, mutate ...func(*corev1.Pod)) *podInfo {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Generation: 1},
		Spec: corev1.PodSpec{Priority: ptr.To(priority), SchedulerName: Name}}
	for _, m := range mutate {
		m(p)
	}
	return newPodInfo(p)
}

func newTestQueue() (*queue, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return newQueue(clk, DefaultPodInitialBackoff, DefaultPodMaxBackoff, DefaultPodMaxInUnschedulablePodsDuration), clk
}

// tryPop pops what is ready now, or returns "" without waiting.
func tryPop(q *queue) string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if qp := q.pop(ctx); qp != nil {
		return qp.info.key
	}
	return ""
}

// TestQueueOrder: higher priority first, then the pod waiting longest, as
// the PrioritySort plugin.
func TestQueueOrder(t *testing.T) {
	t.Parallel()
	q, clk := newTestQueue()
	for _, p := range []*podInfo{queuePod("low", 0), queuePod("high", 10), queuePod("low2", 0), queuePod("neg", -5)} {
		q.add(p)
		clk.Step(time.Millisecond)
	}
	var got []string
	for key := tryPop(q); key != ""; key = tryPop(q) {
		got = append(got, key)
		q.done(key, scheduled)
	}
	want := []string{"default/high", "default/low", "default/low2", "default/neg"}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}
	if n := q.len(); n != 0 {
		t.Errorf("queue holds %d pods after all were scheduled", n)
	}
}

// TestQueueBackoffDurations: 1 s, doubling per attempt, at most 10 s.
func TestQueueBackoffDurations(t *testing.T) {
	t.Parallel()
	q, _ := newTestQueue()
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for attempts, w := range want {
		if got := q.backoffLocked(&queuedPod{attempts: attempts}); got != w {
			t.Errorf("back-off after %d attempts = %v, want %v", attempts, got, w)
		}
	}
}

// TestQueueErrorBackoff: a pod whose attempt failed with an error waits
// out its back-off even with nothing else to do.
func TestQueueErrorBackoff(t *testing.T) {
	t.Parallel()
	q, clk := newTestQueue()
	q.add(queuePod("p", 0))
	for attempt, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		key := tryPop(q)
		if key == "" {
			t.Fatalf("attempt %d: nothing to pop", attempt+1)
		}
		q.done(key, failed)
		clk.Step(wait - time.Millisecond)
		if got := tryPop(q); got != "" {
			t.Fatalf("attempt %d: popped %s before its %v back-off", attempt+1, got, wait)
		}
		clk.Step(time.Millisecond)
	}
	if got := tryPop(q); got != "default/p" {
		t.Fatalf("after the back-off popped %q, want default/p", got)
	}
}

// TestQueueUnschedulable: a pod no node fits waits for an event; the
// event sends it on, and with nothing else queued it is tried at once
// (upstream's pop from the back-off queue when the active queue is empty),
// else after the pods that are ready.
func TestQueueUnschedulable(t *testing.T) {
	t.Parallel()
	q, clk := newTestQueue()
	q.add(queuePod("p", 0))
	q.done(tryPop(q), rejected)
	clk.Step(time.Hour / 60) // a minute
	if got := tryPop(q); got != "" {
		t.Fatalf("popped %s without an event", got)
	}
	// Its own status update (the scheduler's condition) is no event.
	q.add(queuePod("p", 0, func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse}}
	}))
	if got := tryPop(q); got != "" {
		t.Fatalf("popped %s after a status-only update", got)
	}
	q.moveAll(nil)
	if got := tryPop(q); got != "default/p" {
		t.Fatalf("after the event popped %q, want default/p", got)
	}
	// Rejected again; an event right away finds it backing off: another
	// pod that is ready goes first, then it, early.
	q.done("default/p", rejected)
	q.moveAll(nil)
	q.add(queuePod("other", 0))
	if got := tryPop(q); got != "default/other" {
		t.Fatalf("popped %q, want the ready default/other first", got)
	}
	q.done("default/other", scheduled)
	if got := tryPop(q); got != "default/p" {
		t.Fatalf("popped %q, want default/p from the back-off queue", got)
	}
}

// TestQueueFlush: an unschedulable pod is tried again after
// maxInUnschedulable even without an event.
func TestQueueFlush(t *testing.T) {
	t.Parallel()
	q, clk := newTestQueue()
	q.add(queuePod("p", 0))
	q.done(tryPop(q), rejected)
	clk.Step(DefaultPodMaxInUnschedulablePodsDuration - time.Second)
	if got := tryPop(q); got != "" {
		t.Fatalf("popped %s before the flush", got)
	}
	clk.Step(time.Second)
	if got := tryPop(q); got != "default/p" {
		t.Fatalf("after %v popped %q, want default/p", DefaultPodMaxInUnschedulablePodsDuration, got)
	}
}

// TestQueueFlushWakesWaiter: pop, waiting with nothing ready, wakes up
// when the flush is due.
func TestQueueFlushWakesWaiter(t *testing.T) {
	t.Parallel()
	q, clk := newTestQueue()
	q.add(queuePod("p", 0))
	q.done(tryPop(q), rejected)
	got := make(chan string)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if qp := q.pop(ctx); qp != nil {
			got <- qp.info.key
			return
		}
		got <- ""
	}()
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	clk.Step(DefaultPodMaxInUnschedulablePodsDuration)
	if key := <-got; key != "default/p" {
		t.Errorf("waiting pop returned %q, want default/p", key)
	}
}

// TestQueueEventInFlight: an event while the pod is being scheduled sends
// it to the back-off queue when the attempt fails, not to wait for another
// event.
func TestQueueEventInFlight(t *testing.T) {
	t.Parallel()
	q, _ := newTestQueue()
	q.add(queuePod("p", 0))
	key := tryPop(q)
	q.moveAll(nil)
	q.done(key, rejected)
	if got := tryPop(q); got != "default/p" {
		t.Errorf("popped %q, want default/p", got)
	}
}

// TestQueueGated: a gated pod is not tried until its gates are gone.
func TestQueueGated(t *testing.T) {
	t.Parallel()
	q, _ := newTestQueue()
	gate := func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}} }
	q.add(queuePod("p", 0, gate))
	q.moveAll(nil)
	if got := tryPop(q); got != "" {
		t.Fatalf("popped gated %s", got)
	}
	q.add(queuePod("p", 0, func(p *corev1.Pod) { p.Generation = 2 }))
	if got := tryPop(q); got != "default/p" {
		t.Fatalf("ungated: popped %q, want default/p", got)
	}
}

// TestQueueRemove: a pod deleted while in flight is not put back.
func TestQueueRemove(t *testing.T) {
	t.Parallel()
	q, _ := newTestQueue()
	q.add(queuePod("p", 0))
	key := tryPop(q)
	q.remove(key)
	q.done(key, rejected)
	q.moveAll(nil)
	if got := tryPop(q); got != "" || q.len() != 0 {
		t.Errorf("popped %q, queue holds %d pods; want nothing", got, q.len())
	}
}
