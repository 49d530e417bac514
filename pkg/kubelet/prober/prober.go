package prober

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Kind is which of a container's probes a Prober runs.
type Kind int

const (
	// Liveness failing past its threshold means the container is to be
	// restarted; its Prober then stops, as upstream's worker holds until it
	// sees a new container.
	Liveness Kind = iota
	// Readiness decides whether the container is ready; it probes for as
	// long as the container runs.
	Readiness
	// Startup runs alone until it succeeds (the caller starts the liveness
	// and readiness Probers then) or fails past its threshold (the container
	// is to be restarted); either way its Prober then stops.
	Startup
)

// String returns the name upstream uses in event texts ("Liveness probe
// failed: ...").
func (k Kind) String() string {
	switch k {
	case Liveness:
		return "Liveness"
	case Readiness:
		return "Readiness"
	case Startup:
		return "Startup"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Result is a probe's verdict, what the kubelet acts on.
type Result int

const (
	// Unknown is a startup probe's result until it reaches a threshold.
	Unknown Result = iota
	// Success is a liveness probe's result until it fails, and any probe's
	// after successThreshold successes in a row.
	Success
	// Failure is a readiness probe's result until it succeeds, and any
	// probe's after failureThreshold failures in a row.
	Failure
)

// String returns upstream's names for results.
func (r Result) String() string {
	switch r {
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	default:
		return "UNKNOWN"
	}
}

// Runner runs probe attempts against one container in the simulated
// runtime; the kubelet implements it. Both methods must return soon after
// ctx is done: that is how a probe's timeout ends them.
type Runner interface {
	// Exec runs cmd in the container, like CRI ExecSync, and returns its
	// stdout and stderr together and its exit code. err is for a command
	// that could not be run at all (the container is gone, say).
	Exec(ctx context.Context, cmd []string) (output []byte, exitCode int, err error)
	// Dial opens a TCP connection to host (the pod's IP or the probe's
	// host) at port, as the node would. Its errors become the probe's
	// failure text, so they should read like net.Dialer's ("dial tcp
	// 10.244.0.5:80: connect: connection refused").
	Dial(ctx context.Context, host string, port int) (net.Conn, error)
}

// Config says what a Prober probes and whom it tells.
type Config struct {
	// Kind picks the probe of Container to run.
	Kind Kind
	// Container is the container's spec: the probe of Kind is run, its ports
	// resolve a probe's named port, and its env values expand $(VAR) in an
	// exec command, as upstream expands it (static values only). It is
	// copied by Start.
	Container *corev1.Container
	// PodIP is the host of httpGet and tcpSocket probes that name none.
	PodIP string
	// StartedAt is when the container started running: initialDelaySeconds
	// counts from it. Zero means when Start is called.
	StartedAt time.Time
	// Runner runs the attempts; it is required.
	Runner Runner
	// Clock times periods, delays and timeouts; nil means the real clock.
	Clock clock.WithTicker

	// OnResult is called when the result changes (not for the initial
	// result, which Result returns from the start).
	OnResult func(Result)
	// OnFailure is called with the message of an Unhealthy warning event
	// for each failed or errored attempt ("Readiness probe failed: HTTP
	// probe failed with statuscode: 503"), before any OnResult it causes.
	OnFailure func(message string)
	// OnWarning is called with the message of a ProbeWarning warning event,
	// for an httpGet answered with a redirect it did not follow ("Readiness
	// probe warning: Probe terminated redirects, Response body: ...").
	OnWarning func(message string)
}

// Prober runs one probe of one container until it is stopped, or until the
// probe has reached a result after which upstream stops probing the
// container (see Kind). The callbacks run on the Prober's goroutine, one at
// a time, and must not call Stop.
type Prober struct {
	cfg       Config
	spec      corev1.Probe // defaulted
	container *corev1.Container
	clock     clock.WithTicker
	startedAt time.Time
	client    *http.Client

	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	result Result

	// lastResult and resultRun are the run goroutine's: the last attempt's
	// result and how many attempts in a row had it.
	lastResult Result
	resultRun  int
}

// maxRetries is how often an attempt that errors (could not be made) is
// made again before the error is reported, as upstream's maxProbeRetries.
const maxRetries = 3

// Start starts probing cfg.Container with its probe of cfg.Kind: at once,
// then every periodSeconds, no attempt counting before initialDelaySeconds
// have passed since cfg.StartedAt. It stops when ctx is done or Stop is
// called. A container without that probe gets a Prober whose result is
// Success and that never probes, as upstream treats a missing probe.
func Start(ctx context.Context, cfg Config) *Prober {
	p := &Prober{cfg: cfg, clock: cfg.Clock, done: make(chan struct{}), result: initialResult(cfg.Kind)}
	if p.clock == nil {
		p.clock = clock.RealClock{}
	}
	probe := probeOf(cfg.Container, cfg.Kind)
	if probe == nil {
		p.result = Success
		p.cancel = func() {}
		close(p.done)
		return p
	}
	p.spec = withDefaults(*probe)
	p.container = cfg.Container.DeepCopy()
	p.startedAt = cfg.StartedAt
	if p.startedAt.IsZero() {
		p.startedAt = p.clock.Now()
	}
	if p.spec.HTTPGet != nil {
		p.client = newHTTPClient(cfg.Runner)
	}
	ctx, p.cancel = context.WithCancel(ctx)
	// The ticker is made before Start returns so that a caller stepping a
	// fake clock right after Start cannot step past the first tick.
	ticker := p.clock.NewTicker(time.Duration(p.spec.PeriodSeconds) * time.Second)
	go p.run(ctx, ticker)
	return p
}

// Stop stops probing and waits for an attempt under way to be abandoned;
// once it returns, no callback runs again. It is safe to call more than
// once.
func (p *Prober) Stop() {
	p.cancel()
	<-p.done
}

// Result returns the probe's current result: the initial one (Failure for
// readiness, Success for liveness, Unknown for startup) until a threshold is
// reached.
func (p *Prober) Result() Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.result
}

func (p *Prober) run(ctx context.Context, ticker clock.Ticker) {
	defer close(p.done)
	defer ticker.Stop()
	for p.probe(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
}

// probe makes one attempt, unless the initial delay has not passed, and
// records its result; it returns whether to go on probing, as upstream's
// worker.doProbe.
func (p *Prober) probe(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	if int32(p.clock.Since(p.startedAt).Seconds()) < p.spec.InitialDelaySeconds {
		return true
	}
	o := p.attempt(ctx)
	if ctx.Err() != nil {
		// Stopped during the attempt: its outcome is nobody's business.
		return false
	}
	klog.FromContext(ctx).V(4).Info("Probe attempt", "probe", p.cfg.Kind, "status", o.status, "output", o.output, "err", o.err)
	kind := p.cfg.Kind
	var r Result
	switch {
	case o.err != nil:
		// Upstream reports the error and throws the attempt away.
		notify(p.cfg.OnFailure, fmt.Sprintf("%s probe errored and resulted in %s state: %s", kind, o.status, o.err))
		return true
	case o.status == statusSuccess:
		r = Success
	case o.status == statusWarning:
		notify(p.cfg.OnWarning, fmt.Sprintf("%s probe warning: %s", kind, o.output))
		r = Success
	case o.status == statusFailure:
		notify(p.cfg.OnFailure, fmt.Sprintf("%s probe failed: %s", kind, o.output))
		r = Failure
	default:
		r = Failure
	}

	if r == p.lastResult {
		p.resultRun++
	} else {
		p.lastResult, p.resultRun = r, 1
	}
	if (r == Failure && p.resultRun < int(p.spec.FailureThreshold)) ||
		(r == Success && p.resultRun < int(p.spec.SuccessThreshold)) {
		return true
	}
	p.set(ctx, r)
	// A failed liveness probe means a restart, and a startup probe is done
	// either way; upstream holds such a worker until a new container shows.
	return !(kind == Liveness && r == Failure) && kind != Startup
}

// attempt runs the probe's handler, again while it errors, up to maxRetries
// times.
func (p *Prober) attempt(ctx context.Context) outcome {
	var o outcome
	for range maxRetries {
		o = p.runHandler(ctx)
		if o.err == nil || ctx.Err() != nil {
			break
		}
	}
	return o
}

func (p *Prober) set(ctx context.Context, r Result) {
	p.mu.Lock()
	changed := p.result != r
	p.result = r
	p.mu.Unlock()
	if changed {
		klog.FromContext(ctx).V(2).Info("Probe result changed", "probe", p.cfg.Kind, "result", r)
		if p.cfg.OnResult != nil {
			p.cfg.OnResult(r)
		}
	}
}

func notify(f func(string), msg string) {
	if f != nil {
		f(msg)
	}
}

// initialResult is the result before any threshold is reached, upstream's
// worker.initialValue.
func initialResult(k Kind) Result {
	switch k {
	case Readiness:
		return Failure
	case Liveness:
		return Success
	default:
		return Unknown
	}
}

func probeOf(c *corev1.Container, k Kind) *corev1.Probe {
	if c == nil {
		return nil
	}
	switch k {
	case Liveness:
		return c.LivenessProbe
	case Readiness:
		return c.ReadinessProbe
	case Startup:
		return c.StartupProbe
	default:
		return nil
	}
}

// withDefaults fills what the API server's defaulting fills (timeout 1 s,
// period 10 s, thresholds 1 and 3); it also replaces negative values, which
// validation rejects, so that a Prober never ticks at a period of zero.
func withDefaults(p corev1.Probe) corev1.Probe {
	if p.TimeoutSeconds <= 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds <= 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold <= 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold <= 0 {
		p.FailureThreshold = 3
	}
	return p
}
