package prober

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// execCall is one Exec the fake runner received; the test answers it on
// reply or lets its context end it.
type execCall struct {
	cmd   []string
	at    time.Time
	reply chan execReply
}

type execReply struct {
	output string
	code   int
	err    error
}

type dialCall struct {
	host  string
	port  int
	reply chan dialReply
}

type dialReply struct {
	conn net.Conn
	err  error
}

// fakeRunner hands each Exec and Dial to the test, which answers it: the
// runtime boundary, so the prober's own timing is all that is tested.
type fakeRunner struct {
	clock *clocktesting.FakeClock
	execs chan *execCall
	dials chan *dialCall
}

var _ Runner = (*fakeRunner)(nil)

func (r *fakeRunner) Exec(ctx context.Context, cmd []string) ([]byte, int, error) {
	c := &execCall{cmd: cmd, at: r.clock.Now(), reply: make(chan execReply, 1)}
	select {
	case r.execs <- c:
	case <-ctx.Done():
		return nil, -1, ctx.Err()
	}
	select {
	case rep := <-c.reply:
		return []byte(rep.output), rep.code, rep.err
	case <-ctx.Done():
		return nil, -1, ctx.Err()
	}
}

func (r *fakeRunner) Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	c := &dialCall{host: host, port: port, reply: make(chan dialReply, 1)}
	select {
	case r.dials <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-c.reply:
		return rep.conn, rep.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// idleClock is a fake clock whose tickers tell the test each time the
// prober is about to wait for a tick: the prober asks for the ticker's
// channel when, and only when, its attempt is done and it waits again.
type idleClock struct {
	*clocktesting.FakeClock
	idle chan struct{}
}

func (c *idleClock) NewTicker(d time.Duration) clock.Ticker {
	return idleTicker{c.FakeClock.NewTicker(d), c.idle}
}

type idleTicker struct {
	clock.Ticker
	idle chan struct{}
}

func (t idleTicker) C() <-chan time.Time {
	t.idle <- struct{}{}
	return t.Ticker.C()
}

// harness runs one Prober on a fake clock and records its callbacks, in
// order, as "result X", "failure <message>" and "warning <message>".
type harness struct {
	t     testing.TB
	clock *clocktesting.FakeClock
	idle  chan struct{}
	// idled counts idle signals nextEvent took that waitIdle has not.
	idled  int
	runner *fakeRunner
	p      *Prober
	events chan string
}

type option func(*Config)

func start(t testing.TB, kind Kind, c *corev1.Container, opts ...option) *harness {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	h := &harness{
		t:      t,
		clock:  clk,
		idle:   make(chan struct{}, 1000),
		runner: &fakeRunner{clock: clk, execs: make(chan *execCall), dials: make(chan *dialCall)},
		events: make(chan string, 100),
	}
	cfg := Config{
		Kind:      kind,
		Container: c,
		PodIP:     "10.244.0.5",
		Runner:    h.runner,
		Clock:     &idleClock{clk, h.idle},
		OnResult:  func(r Result) { h.events <- "result " + r.String() },
		OnFailure: func(msg string) { h.events <- "failure " + msg },
		OnWarning: func(msg string) { h.events <- "warning " + msg },
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.p = Start(context.Background(), cfg)
	t.Cleanup(h.p.Stop)
	return h
}

// waitIdle waits until the prober has finished an attempt (or skipped one)
// and waits for the next tick.
func (h *harness) waitIdle() {
	h.t.Helper()
	if h.idled > 0 {
		h.idled--
		return
	}
	select {
	case <-h.idle:
	case c := <-h.runner.execs:
		h.t.Fatalf("prober execs %q; want it waiting for a tick", c.cmd)
	case c := <-h.runner.dials:
		h.t.Fatalf("prober dials %s:%d; want it waiting for a tick", c.host, c.port)
	case <-h.p.done:
		h.t.Fatal("prober stopped; want it waiting for a tick")
	}
}

// step waits for the prober to be idle and moves the clock by d.
func (h *harness) step(d time.Duration) {
	h.t.Helper()
	h.waitIdle()
	h.clock.Step(d)
}

// nextExec returns the next Exec, failing if the prober stops instead.
func (h *harness) nextExec() *execCall {
	h.t.Helper()
	select {
	case c := <-h.runner.execs:
		return c
	case <-h.idle:
		h.t.Fatal("prober waits for a tick; want an exec")
		return nil
	case <-h.p.done:
		h.t.Fatal("prober stopped; want an exec")
		return nil
	}
}

func (h *harness) nextDial() *dialCall {
	h.t.Helper()
	select {
	case c := <-h.runner.dials:
		return c
	case <-h.idle:
		h.t.Fatal("prober waits for a tick; want a dial")
		return nil
	case <-h.p.done:
		h.t.Fatal("prober stopped; want a dial")
		return nil
	}
}

// nextEvent returns the next callback, failing if the prober stops or
// waits for a tick first (an attempt's callbacks come before its wait).
func (h *harness) nextEvent() string {
	h.t.Helper()
	var why string
	select {
	case e := <-h.events:
		return e
	case <-h.idle:
		h.idled++
		why = "waits for a tick"
	case <-h.p.done:
		why = "stopped"
	}
	select {
	case e := <-h.events:
		return e
	default:
		h.t.Fatalf("prober %s; want a callback", why)
		return ""
	}
}

// waitEvents waits for len(want) callbacks and compares them with want.
func (h *harness) waitEvents(want ...string) {
	h.t.Helper()
	got := make([]string, 0, len(want))
	for range want {
		got = append(got, h.nextEvent())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		h.t.Errorf("callbacks (-want +got):\n%s", diff)
	}
}

// stop stops the prober and fails on any callback not yet taken.
func (h *harness) stop() {
	h.t.Helper()
	h.p.Stop()
	close(h.events)
	var extra []string
	for e := range h.events {
		extra = append(extra, e)
	}
	if len(extra) > 0 {
		h.t.Errorf("unexpected callbacks: %q", extra)
	}
}

// wantStopped checks the prober has stopped by itself rather than waiting
// for another tick.
func (h *harness) wantStopped() {
	h.t.Helper()
	if h.idled > 0 {
		h.t.Fatal("prober waits for another tick; want it stopped")
	}
	select {
	case <-h.idle:
		h.t.Fatal("prober waits for another tick; want it stopped")
	case <-h.p.done:
	}
}

func execContainer(probe corev1.Probe, cmd ...string) *corev1.Container {
	probe.Exec = &corev1.ExecAction{Command: cmd}
	return &corev1.Container{Name: "web", LivenessProbe: &probe, ReadinessProbe: &probe, StartupProbe: &probe}
}

func ok() execReply                { return execReply{output: "ok\n"} }
func fail(out string) execReply    { return execReply{output: out, code: 1} }
func execErr(msg string) execReply { return execReply{err: fmt.Errorf("%s", msg)} }
