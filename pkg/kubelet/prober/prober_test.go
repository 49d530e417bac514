package prober

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestThresholds(t *testing.T) {
	t.Parallel()
	const notFound = "cat: can't open '/tmp/healthy': No such file or directory\n"
	tests := []struct {
		name  string
		kind  Kind
		probe corev1.Probe
		// probes are the answers to each attempt, a period apart; more than
		// one answer is an attempt retried after errors.
		probes      [][]execReply
		want        []string
		wantResult  Result
		wantStopped bool
	}{
		{
			name:       "readiness succeeds once",
			kind:       Readiness,
			probes:     [][]execReply{{ok()}},
			want:       []string{"result Success"},
			wantResult: Success,
		},
		{
			name:   "readiness fails after three failures in a row",
			kind:   Readiness,
			probes: [][]execReply{{ok()}, {fail("a")}, {fail("b")}, {ok()}, {fail("c")}, {fail("d")}, {fail("e")}},
			want: []string{
				"result Success",
				"failure Readiness probe failed: a", "failure Readiness probe failed: b",
				"failure Readiness probe failed: c", "failure Readiness probe failed: d", "failure Readiness probe failed: e",
				"result Failure",
			},
			wantResult: Failure,
		},
		{
			name:       "readiness successThreshold 2",
			kind:       Readiness,
			probe:      corev1.Probe{SuccessThreshold: 2},
			probes:     [][]execReply{{ok()}, {fail("x")}, {ok()}, {ok()}},
			want:       []string{"failure Readiness probe failed: x", "result Success"},
			wantResult: Success,
		},
		{
			name:       "readiness failureThreshold 1",
			kind:       Readiness,
			probe:      corev1.Probe{FailureThreshold: 1},
			probes:     [][]execReply{{ok()}, {fail(notFound)}},
			want:       []string{"result Success", "failure Readiness probe failed: " + notFound, "result Failure"},
			wantResult: Failure,
		},
		{
			name:   "liveness fails after three and stops",
			kind:   Liveness,
			probes: [][]execReply{{fail("1")}, {fail("2")}, {ok()}, {fail(notFound)}, {fail(notFound)}, {fail(notFound)}},
			want: []string{
				"failure Liveness probe failed: 1", "failure Liveness probe failed: 2",
				"failure Liveness probe failed: " + notFound, "failure Liveness probe failed: " + notFound,
				"failure Liveness probe failed: " + notFound, "result Failure",
			},
			wantResult:  Failure,
			wantStopped: true,
		},
		{
			name:       "liveness keeps probing while it passes",
			kind:       Liveness,
			probes:     [][]execReply{{ok()}, {ok()}, {fail("1")}, {ok()}},
			want:       []string{"failure Liveness probe failed: 1"},
			wantResult: Success,
		},
		{
			name:        "startup succeeds and stops",
			kind:        Startup,
			probes:      [][]execReply{{fail("not yet")}, {ok()}},
			want:        []string{"failure Startup probe failed: not yet", "result Success"},
			wantResult:  Success,
			wantStopped: true,
		},
		{
			name:   "startup fails past failureThreshold and stops",
			kind:   Startup,
			probe:  corev1.Probe{FailureThreshold: 2},
			probes: [][]execReply{{fail("1")}, {fail("2")}},
			want: []string{
				"failure Startup probe failed: 1", "failure Startup probe failed: 2", "result Failure",
			},
			wantResult:  Failure,
			wantStopped: true,
		},
		{
			name:   "an error is retried twice, then reported and the attempt thrown away",
			kind:   Readiness,
			probe:  corev1.Probe{FailureThreshold: 1},
			probes: [][]execReply{{execErr("container not running"), execErr("container not running"), execErr("container not running")}},
			want: []string{
				"failure Readiness probe errored and resulted in unknown state: container not running",
			},
			wantResult: Failure,
		},
		{
			name:       "a retry that succeeds counts",
			kind:       Liveness,
			probe:      corev1.Probe{FailureThreshold: 1},
			probes:     [][]execReply{{execErr("transient"), fail("down")}},
			want:       []string{"failure Liveness probe failed: down", "result Failure"},
			wantResult: Failure,
		},
		{
			name:  "errors do not break a run of failures",
			kind:  Liveness,
			probe: corev1.Probe{FailureThreshold: 2},
			probes: [][]execReply{
				{fail("1")},
				{execErr("gone"), execErr("gone"), execErr("gone")},
				{fail("2")},
			},
			want: []string{
				"failure Liveness probe failed: 1",
				"failure Liveness probe errored and resulted in unknown state: gone",
				"failure Liveness probe failed: 2", "result Failure",
			},
			wantResult:  Failure,
			wantStopped: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, tt.kind, execContainer(tt.probe, "cat", "/tmp/healthy"))
			period := time.Duration(h.p.spec.PeriodSeconds) * time.Second
			for i, answers := range tt.probes {
				if i > 0 {
					h.step(period)
				}
				for _, a := range answers {
					c := h.nextExec()
					if want := t0.Add(time.Duration(i) * period); !c.at.Equal(want) {
						t.Errorf("attempt %d at %s, want %s", i, c.at, want)
					}
					c.reply <- a
				}
			}
			h.waitEvents(tt.want...)
			if tt.wantStopped {
				h.wantStopped()
			}
			if got := h.p.Result(); got != tt.wantResult {
				t.Errorf("Result() = %s, want %s", got, tt.wantResult)
			}
			h.stop()
		})
	}
}

func TestInitialResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		want Result
	}{
		{Liveness, Success},
		{Readiness, Failure},
		{Startup, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, tt.kind, execContainer(corev1.Probe{InitialDelaySeconds: 60}, "true"))
			if got := h.p.Result(); got != tt.want {
				t.Errorf("Result() = %s, want %s", got, tt.want)
			}
			h.stop()
		})
	}
}

func TestNoProbe(t *testing.T) {
	t.Parallel()
	h := start(t, Readiness, &corev1.Container{Name: "web"})
	if got := h.p.Result(); got != Success {
		t.Errorf("Result() = %s, want Success", got)
	}
	h.stop()
}

func TestTiming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		probe     corev1.Probe
		startedAt time.Duration // relative to Start, zero for none
		// steps are the clock steps before the first attempt is expected.
		steps []time.Duration
		// wantFirst is when the first attempt is made, wantSecond the next.
		wantFirst, wantSecond time.Duration
	}{
		{
			name:       "defaults probe at once and every 10s",
			wantFirst:  0,
			wantSecond: 10 * time.Second,
		},
		{
			name:       "periodSeconds",
			probe:      corev1.Probe{PeriodSeconds: 3},
			wantSecond: 3 * time.Second,
		},
		{
			name:       "initialDelaySeconds skips the ticks before it",
			probe:      corev1.Probe{InitialDelaySeconds: 25},
			steps:      []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second},
			wantFirst:  30 * time.Second,
			wantSecond: 40 * time.Second,
		},
		{
			name:       "initialDelaySeconds equal to a tick probes on it",
			probe:      corev1.Probe{InitialDelaySeconds: 20},
			steps:      []time.Duration{10 * time.Second, 10 * time.Second},
			wantFirst:  20 * time.Second,
			wantSecond: 30 * time.Second,
		},
		{
			name:       "initialDelaySeconds counts from StartedAt",
			probe:      corev1.Probe{InitialDelaySeconds: 15},
			startedAt:  -20 * time.Second,
			wantFirst:  0,
			wantSecond: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, Readiness, execContainer(tt.probe, "true"), func(c *Config) {
				if tt.startedAt != 0 {
					c.StartedAt = t0.Add(tt.startedAt)
				}
			})
			for _, s := range tt.steps {
				h.step(s)
			}
			c := h.nextExec()
			if want := t0.Add(tt.wantFirst); !c.at.Equal(want) {
				t.Errorf("first attempt at +%s, want +%s", c.at.Sub(t0), tt.wantFirst)
			}
			c.reply <- ok()
			h.waitEvents("result Success")
			h.step(tt.wantSecond - tt.wantFirst)
			c = h.nextExec()
			if want := t0.Add(tt.wantSecond); !c.at.Equal(want) {
				t.Errorf("second attempt at +%s, want +%s", c.at.Sub(t0), tt.wantSecond)
			}
			c.reply <- ok()
			h.stop()
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	t.Run("during an attempt", func(t *testing.T) {
		t.Parallel()
		h := start(t, Readiness, execContainer(corev1.Probe{FailureThreshold: 1}, "true"))
		c := h.nextExec()
		h.stop() // fails on any callback
		c.reply <- fail("too late")
		if got := h.p.Result(); got != Failure {
			t.Errorf("Result() = %s, want the initial Failure", got)
		}
	})
	t.Run("by its context", func(t *testing.T) {
		t.Parallel()
		clk := clocktesting.NewFakeClock(t0)
		runner := &fakeRunner{clock: clk, execs: make(chan *execCall), dials: make(chan *dialCall)}
		ctx, cancel := context.WithCancel(context.Background())
		var calls []Result
		p := Start(ctx, Config{Kind: Liveness, Container: execContainer(corev1.Probe{}, "true"),
			Runner: runner, Clock: clk, OnResult: func(r Result) { calls = append(calls, r) }})
		c := <-runner.execs
		cancel()
		<-p.done
		c.reply <- fail("too late")
		p.Stop()
		if len(calls) != 0 {
			t.Errorf("OnResult called with %v after the context ended", calls)
		}
	})
}

func TestStrings(t *testing.T) {
	t.Parallel()
	got := []string{Liveness.String(), Readiness.String(), Startup.String(), Kind(7).String(),
		Unknown.String(), Success.String(), Failure.String()}
	want := []string{"Liveness", "Readiness", "Startup", "Kind(7)", "UNKNOWN", "Success", "Failure"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
