package nodelifecycle

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/flowcontrol"
)

func TestZoneStateOf(t *testing.T) {
	t.Parallel()
	r := &corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue}
	f := &corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse}
	u := &corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}
	tests := []struct {
		name         string
		ready        []*corev1.NodeCondition
		wantNotReady int
		want         zoneState
	}{
		{name: "empty", want: stateNormal},
		{name: "all ready", ready: []*corev1.NodeCondition{r, r}, want: stateNormal},
		{name: "the only node unknown", ready: []*corev1.NodeCondition{u}, wantNotReady: 1, want: stateFullDisruption},
		{name: "no condition counts as not ready", ready: []*corev1.NodeCondition{nil, f}, wantNotReady: 2, want: stateFullDisruption},
		{name: "two of three down is not partial", ready: []*corev1.NodeCondition{r, u, f}, wantNotReady: 2, want: stateNormal},
		{name: "three of five down is partial", ready: []*corev1.NodeCondition{r, r, u, u, f}, wantNotReady: 3, want: statePartialDisruption},
		{name: "three of six down is below the threshold", ready: []*corev1.NodeCondition{r, r, r, u, u, f}, wantNotReady: 3, want: stateNormal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, got := zoneStateOf(tc.ready, DefaultUnhealthyZoneThreshold)
			if n != tc.wantNotReady || got != tc.want {
				t.Errorf("zoneStateOf = %d, %s; want %d, %s", n, got, tc.wantNotReady, tc.want)
			}
		})
	}
}

func TestZoneRate(t *testing.T) {
	t.Parallel()
	opts, err := Options{}.complete()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state zoneState
		size  int
		want  float32
	}{
		{stateNormal, 3, DefaultNodeEvictionRate},
		{stateFullDisruption, 3, DefaultNodeEvictionRate},
		{statePartialDisruption, 50, 0},
		{statePartialDisruption, 51, DefaultSecondaryNodeEvictionRate},
	}
	for _, tc := range tests {
		if got := zoneRate(tc.state, tc.size, opts); got != tc.want {
			t.Errorf("zoneRate(%s, %d) = %v, want %v", tc.state, tc.size, got, tc.want)
		}
	}
}

func TestTaintQueue(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	now := func() time.Time { return clock }
	q := newTaintQueue(1000)
	// Unlimited while the queue's own order is tested; the limits after.
	q.limiter, q.rate = flowcontrol.NewFakeAlwaysRateLimiter(), -1
	if !q.add("a", t0) || !q.add("b", t0) || q.add("a", t0) {
		t.Fatal("add: want a and b added once each")
	}
	var seen []string
	q.try(now, func(name string) (bool, time.Duration) {
		seen = append(seen, name)
		return name == "a", time.Second // b fails and is due again in 1s
	})
	if want := []string{"a", "b"}; !slices.Equal(seen, want) {
		t.Errorf("first try saw %v, want %v", seen, want)
	}
	if q.add("a", t0) {
		t.Error("a processed but not removed: add = true, want it still a member")
	}
	if q.len() != 1 {
		t.Errorf("waiting = %d, want 1 (b)", q.len())
	}
	seen = nil
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if len(seen) != 0 {
		t.Errorf("b tried again before its retry was due: %v", seen)
	}
	clock = t0.Add(2 * time.Second)
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if !slices.Equal(seen, []string{"b"}) {
		t.Errorf("after the retry delay saw %v, want [b]", seen)
	}
	if !q.remove("a") || q.remove("a") || !q.add("a", clock) {
		t.Error("remove then add: want a removed once and added again")
	}

	q.setRate(0)
	seen = nil
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if len(seen) != 0 {
		t.Errorf("rate 0 let %v through", seen)
	}
	q.setRate(1000)
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if len(seen) != 0 {
		t.Errorf("the new limiter was not drained, as the old one had no token: saw %v", seen)
	}
	time.Sleep(5 * time.Millisecond) // a token at 1000/s
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if !slices.Equal(seen, []string{"a"}) {
		t.Errorf("after the rate came back saw %v, want [a]", seen)
	}
}

func TestTaintQueueRateLimit(t *testing.T) {
	t.Parallel()
	q := newTaintQueue(0.001) // one token, then one every 1000s
	now := time.Now
	for _, n := range []string{"a", "b", "c"} {
		q.add(n, now())
	}
	var seen []string
	q.try(now, func(name string) (bool, time.Duration) { seen = append(seen, name); return true, 0 })
	if !slices.Equal(seen, []string{"a"}) {
		t.Errorf("saw %v, want only a: the burst is one", seen)
	}
}

func TestOptionsComplete(t *testing.T) {
	t.Parallel()
	got, err := Options{NodeMonitorGracePeriod: time.Second}.complete()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		NodeMonitorPeriod: DefaultNodeMonitorPeriod, NodeMonitorGracePeriod: time.Second,
		NodeStartupGracePeriod: DefaultNodeStartupGracePeriod, NodeEvictionRate: DefaultNodeEvictionRate,
		SecondaryNodeEvictionRate: DefaultSecondaryNodeEvictionRate, LargeClusterSizeThreshold: DefaultLargeClusterSizeThreshold,
		UnhealthyZoneThreshold: DefaultUnhealthyZoneThreshold,
	}
	if got != want {
		t.Errorf("complete = %+v, want %+v", got, want)
	}
	if _, err := (Options{NodeMonitorPeriod: -1, NodeEvictionRate: -1, UnhealthyZoneThreshold: 2}).complete(); err == nil {
		t.Error("complete of negative and out-of-range options: no error")
	} else if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("complete reported %d problems, want all 3: %v", n, err)
	}
}
