package kubelet

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/kubelet/prober"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

// probes are the probers of one container instance, as the kubelet's
// probe manager keeps them: the startup probe first, liveness and
// readiness once it has succeeded (or at once without one). Their
// callbacks run on the probers' goroutines, so what they change is behind
// mu, and the worker reads it when it computes the pod's status.
type probes struct {
	w    *podWorker
	pod  *corev1.Pod
	spec *corev1.Container
	proc *runtime.Container
	ref  *corev1.ObjectReference
	cfg  prober.Config // the fields every prober shares

	mu                   sync.Mutex
	stopped              bool
	startup              *prober.Prober
	liveness, readiness  *prober.Prober
	hasStartup, hasReady bool
}

// startProbes starts the probes of spec's instance proc, which started at
// startedAt.
func (w *podWorker) startProbes(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun, proc *runtime.Container, startedAt time.Time) *probes {
	p := &probes{w: w, pod: pod, spec: spec, proc: proc, ref: r.ref(pod),
		hasStartup: spec.StartupProbe != nil, hasReady: spec.ReadinessProbe != nil}
	p.cfg = prober.Config{
		Container: spec,
		StartedAt: startedAt,
		Runner:    probeRunner{proc: proc, sb: w.sandbox, nodeIPs: w.k.cfg.NodeIPs},
		Clock:     w.k.clock,
		OnWarning: func(msg string) { w.k.recorder.Event(p.ref, corev1.EventTypeWarning, "ProbeWarning", msg) },
		OnFailure: func(msg string) { w.k.recorder.Event(p.ref, corev1.EventTypeWarning, "Unhealthy", msg) },
	}
	if len(w.sandbox.ips) > 0 {
		p.cfg.PodIP = w.sandbox.ips[0].String()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hasStartup {
		p.startup = p.start(ctx, prober.Startup, func(res prober.Result) {
			switch res {
			case prober.Success:
				p.mu.Lock()
				p.startRest(ctx)
				p.mu.Unlock()
			case prober.Failure:
				p.kill("startup")
			}
			w.wake()
		})
	} else {
		p.startRest(ctx)
	}
	return p
}

// startRest starts the liveness and readiness probes; p.mu is held.
func (p *probes) startRest(ctx context.Context) {
	if p.stopped {
		return
	}
	p.liveness = p.start(ctx, prober.Liveness, func(res prober.Result) {
		if res == prober.Failure {
			p.kill("liveness")
		}
	})
	p.readiness = p.start(ctx, prober.Readiness, func(prober.Result) { p.w.wake() })
}

func (p *probes) start(ctx context.Context, kind prober.Kind, onResult func(prober.Result)) *prober.Prober {
	cfg := p.cfg
	cfg.Kind, cfg.OnResult = kind, onResult
	return prober.Start(ctx, cfg)
}

// kill stops the container whose probe failed, as the kubelet does, with
// the probe's own grace period if it has one; the restart policy then
// decides whether it runs again.
func (p *probes) kill(probe string) {
	p.w.k.recorder.Eventf(p.ref, corev1.EventTypeNormal, "Killing", "Container %s failed %s probe, will be restarted", p.spec.Name, probe)
	grace := gracePeriod(p.pod)
	var spec *corev1.Probe
	if probe == "startup" {
		spec = p.spec.StartupProbe
	} else {
		spec = p.spec.LivenessProbe
	}
	if spec != nil && spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	go p.proc.Stop(grace)
}

// state is whether the container has started (its startup probe has
// passed) and is ready (its readiness probe too).
func (p *probes) state() (started, ready bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	started = !p.hasStartup || (p.startup != nil && p.startup.Result() == prober.Success)
	ready = started && (!p.hasReady || (p.readiness != nil && p.readiness.Result() == prober.Success))
	return started, ready
}

// stop stops every prober; no callback runs after it returns.
func (p *probes) stop() {
	p.mu.Lock()
	p.stopped = true
	list := []*prober.Prober{p.startup, p.liveness, p.readiness}
	p.mu.Unlock()
	for _, pr := range list {
		if pr != nil {
			pr.Stop()
		}
	}
}

// probeRunner runs probe attempts in the simulated runtime: exec in the
// container, TCP from the node into the pod's sandbox.
type probeRunner struct {
	proc    *runtime.Container
	sb      *sandbox
	nodeIPs []netip.Addr
}

func (r probeRunner) Exec(ctx context.Context, cmd []string) ([]byte, int, error) {
	var out lockedBuffer
	code, err := r.proc.Exec(ctx, cmd, nil, &out, &out, false, nil)
	return out.Bytes(), code, err
}

// Dial connects from the node to the pod; an address that is not the
// pod's refuses, as nothing of the simulated network listens there.
func (r probeRunner) Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	addr, err := netip.ParseAddr(host)
	if err != nil || !containsAddr(r.sb.ips, addr) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP(host), Port: port},
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	var from netip.Addr
	for _, ip := range r.nodeIPs {
		if ip.Is4() == addr.Is4() {
			from = ip
		}
	}
	return r.sb.pod.Connect(ctx, from, port)
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if b == a.Unmap() {
			return true
		}
	}
	return false
}

// lockedBuffer is a buffer both output streams of an exec write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// gracePeriod is the pod's terminationGracePeriodSeconds, 30 s by default.
func gracePeriod(pod *corev1.Pod) time.Duration {
	if s := pod.Spec.TerminationGracePeriodSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return 30 * time.Second
}

// refreshProbes sets whether the container has started and is ready from
// its probes: a running container without probes is both; one that is
// not running is neither.
func (r *containerRun) refreshProbes() {
	switch {
	case r.proc == nil:
		r.info.started, r.info.ready = false, false
	case r.probes == nil:
		r.info.started, r.info.ready = true, true
	default:
		r.info.started, r.info.ready = r.probes.state()
	}
}
