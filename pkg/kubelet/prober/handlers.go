package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/clock"

	"github.com/fakecluster/fakecluster/pkg/kubelet/envvars"
)

// status is how one attempt went, upstream's probe.Result; its String is
// the word upstream puts in "errored and resulted in unknown state".
type status int

const (
	statusSuccess status = iota
	// statusWarning is a success with something to warn about (an
	// unfollowed redirect).
	statusWarning
	statusFailure
	statusUnknown
)

func (s status) String() string {
	switch s {
	case statusSuccess:
		return "success"
	case statusWarning:
		return "warning"
	case statusFailure:
		return "failure"
	default:
		return "unknown"
	}
}

// outcome is one attempt's status and output (the event text of a failure
// or warning); err means the attempt could not be made at all.
type outcome struct {
	status status
	output string
	err    error
}

const (
	// maxOutput is how much of an exec probe's output or an httpGet probe's
	// body is kept, as upstream's 10 KiB.
	maxOutput = 10 << 10
	// userAgent is what a v1.37 kubelet's httpGet probes send.
	userAgent = "kube-probe/1.37"
)

var (
	errGRPCUnsupported = errors.New("grpc probes are not supported by fakecluster's kubelet")
	errNoHandler       = errors.New("missing probe handler")
)

func (p *Prober) runHandler(ctx context.Context) outcome {
	h := p.spec.ProbeHandler
	switch {
	case h.Exec != nil:
		return p.exec(ctx, h.Exec.Command)
	case h.HTTPGet != nil:
		return p.httpGet(ctx, h.HTTPGet)
	case h.TCPSocket != nil:
		return p.tcpSocket(ctx, h.TCPSocket)
	case h.GRPC != nil:
		return outcome{status: statusUnknown, err: errGRPCUnsupported}
	default:
		return outcome{status: statusUnknown, err: errNoHandler}
	}
}

// exec runs the command in the container: exit code 0 is success, any other
// a failure with the command's output, and a timeout a failure with the
// text the kubelet's CRI client gives it.
func (p *Prober) exec(ctx context.Context, command []string) outcome {
	mapping := envvars.Mapping(p.container.Env)
	cmd := make([]string, len(command))
	for i, arg := range command {
		cmd[i] = envvars.Expand(arg, mapping)
	}

	d := p.newDeadline(ctx)
	defer d.release()
	type reply struct {
		output []byte
		code   int
		err    error
	}
	// Buffered, so that a Runner returning after the attempt was given up
	// does not block forever.
	replies := make(chan reply, 1)
	go func() {
		out, code, err := p.cfg.Runner.Exec(d.ctx, cmd)
		replies <- reply{out, code, err}
	}()
	var r reply
	select {
	case r = <-replies:
	case <-d.ctx.Done():
		// An answer that came in time wins over the timeout that
		// followed it.
		select {
		case r = <-replies:
		default:
			r.err = d.ctx.Err()
		}
	}
	switch {
	case r.err != nil && d.expired():
		return outcome{status: statusFailure,
			output: fmt.Sprintf("command timed out: %q timed out after %s", strings.Join(cmd, " "), p.timeout())}
	case r.err != nil:
		return outcome{status: statusUnknown, err: r.err}
	}
	out := string(r.output[:min(len(r.output), maxOutput)])
	if r.code != 0 {
		return outcome{status: statusFailure, output: out}
	}
	return outcome{status: statusSuccess, output: out}
}

// httpGet sends the request over the Runner's Dial: a status of 200 to 399
// is success (a redirect it did not follow, a warning), anything else or no
// answer a failure.
func (p *Prober) httpGet(ctx context.Context, a *corev1.HTTPGetAction) outcome {
	req, err := p.newRequest(a)
	if err != nil {
		return outcome{status: statusUnknown, err: err}
	}
	d := p.newDeadline(ctx)
	defer d.release()
	resp, err := p.client.Do(req.WithContext(d.ctx))
	if err != nil {
		if d.expired() {
			err = &url.Error{Op: "Get", URL: req.URL.String(),
				Err: errors.New("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")}
		}
		return outcome{status: statusFailure, output: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	if err != nil {
		if d.expired() {
			err = errors.New("context deadline exceeded (Client.Timeout or context cancellation while reading body)")
		}
		return outcome{status: statusFailure, err: err}
	}
	switch code := resp.StatusCode; {
	case code >= http.StatusOK && code < http.StatusMultipleChoices:
		return outcome{status: statusSuccess, output: string(body)}
	case code >= http.StatusMultipleChoices && code < http.StatusBadRequest:
		return outcome{status: statusWarning, output: "Probe terminated redirects, Response body: " + string(body)}
	default:
		// Upstream keeps the body out of this text on purpose (issue 99425).
		return outcome{status: statusFailure, output: fmt.Sprintf("HTTP probe failed with statuscode: %d", code)}
	}
}

// newRequest builds the GET as upstream's NewRequestForHTTPGetAction: the
// pod's IP unless a host is given, the probe's headers, and upstream's
// User-Agent and Accept unless they are set (an empty Accept removes it).
func (p *Prober) newRequest(a *corev1.HTTPGetAction) (*http.Request, error) {
	scheme := strings.ToLower(string(a.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	host := a.Host
	if host == "" {
		host = p.cfg.PodIP
	}
	port, err := resolvePort(a.Port, p.container)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(a.Path)
	if err != nil {
		// Like upstream: too late to reject the path, so pass it on as is.
		u = &url.URL{Path: a.Path}
	}
	u.Scheme = scheme
	u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	headers := make(http.Header, len(a.HTTPHeaders)+2)
	for _, h := range a.HTTPHeaders {
		headers.Add(h.Name, h.Value)
	}
	if _, ok := headers["User-Agent"]; !ok {
		headers.Set("User-Agent", userAgent)
	}
	if _, ok := headers["Accept"]; !ok {
		headers.Set("Accept", "*/*")
	} else if headers.Get("Accept") == "" {
		headers.Del("Accept")
	}
	req.Header = headers
	req.Host = headers.Get("Host")
	return req, nil
}

// newHTTPClient returns a client like upstream's prober's: no proxy, no
// keep-alives, no compression, certificates not verified, redirects followed
// only on the same host, and every connection dialled by runner.
func newHTTPClient(runner Runner) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				n, err := strconv.Atoi(port)
				if err != nil {
					return nil, err
				}
				return runner.Dial(ctx, host, n)
			},
			// Upstream's prober does not verify a pod's certificate either.
			TLSClientConfig:    &tls.Config{InsecureSkipVerify: true},
			DisableKeepAlives:  true,
			DisableCompression: true,
			// As upstream's transport defaults: HTTP/2 where TLS offers it.
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != via[0].URL.Hostname() {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}

// tcpSocket opens a connection and closes it: success if it opened.
func (p *Prober) tcpSocket(ctx context.Context, a *corev1.TCPSocketAction) outcome {
	port, err := resolvePort(a.Port, p.container)
	if err != nil {
		return outcome{status: statusUnknown, err: err}
	}
	host := a.Host
	if host == "" {
		host = p.cfg.PodIP
	}
	d := p.newDeadline(ctx)
	defer d.release()
	conn, err := p.cfg.Runner.Dial(d.ctx, host, port)
	if err != nil {
		msg := err.Error()
		if d.expired() {
			// What net.DialTimeout says when the time is up.
			msg = fmt.Sprintf("dial tcp %s: i/o timeout", net.JoinHostPort(host, strconv.Itoa(port)))
		}
		return outcome{status: statusFailure, output: msg}
	}
	// The connection opened, so the probe has passed whatever Close says.
	_ = conn.Close()
	return outcome{status: statusSuccess}
}

// resolvePort returns a probe's port, a number or the name of one of the
// container's ports, with upstream's errors.
func resolvePort(port intstr.IntOrString, c *corev1.Container) (int, error) {
	n := -1
	switch port.Type {
	case intstr.Int:
		n = port.IntValue()
	case intstr.String:
		found := false
		for _, cp := range c.Ports {
			if cp.Name == port.StrVal {
				n, found = int(cp.ContainerPort), true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("port %q not found", port.StrVal)
		}
	default:
		return n, fmt.Errorf("intOrString had no kind: %+v", port)
	}
	if n > 0 && n < 65536 {
		return n, nil
	}
	return n, fmt.Errorf("invalid port number: %v", n)
}

func (p *Prober) timeout() time.Duration {
	return time.Duration(p.spec.TimeoutSeconds) * time.Second
}

// deadline is an attempt's timeout on the Prober's clock, which net/http's
// and the context package's timers cannot follow: ctx is cancelled when it
// passes.
type deadline struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timer   clock.Timer
	fired   atomic.Bool
	stopped chan struct{}
}

func (p *Prober) newDeadline(parent context.Context) *deadline {
	ctx, cancel := context.WithCancel(parent)
	d := &deadline{ctx: ctx, cancel: cancel, timer: p.clock.NewTimer(p.timeout()), stopped: make(chan struct{})}
	go func() {
		select {
		case <-d.timer.C():
			// Stored before cancelling, so an attempt ended by the
			// cancellation always sees it.
			d.fired.Store(true)
			cancel()
		case <-d.stopped:
		}
	}()
	return d
}

// expired reports whether the timeout has passed.
func (d *deadline) expired() bool { return d.fired.Load() }

// release stops the timer and cancels ctx.
func (d *deadline) release() {
	d.timer.Stop()
	close(d.stopped)
	d.cancel()
}
