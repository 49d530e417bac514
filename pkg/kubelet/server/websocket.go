package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream/wsstream"
	utilexec "k8s.io/utils/exec"
)

// The channels of the remote command websocket protocols, in order.
const (
	stdinChannel = iota
	stdoutChannel
	stderrChannel
	errorChannel
	resizeChannel
)

// serveV5 serves exec or attach over the v5.channel.k8s.io websocket protocol, which
// kubectl speaks first and cri-streaming does not: v4's channels and status messages, plus
// the client's signal that it closed stdin. kube-apiserver translates it to SPDY for a
// kubelet; a caller reaching the kubelet directly gets it served here. what is the words
// cri-streaming puts before an error of run ("error executing command in container").
func serveV5(w http.ResponseWriter, r *http.Request, opts *remotecommand.Options, idle time.Duration, run execFunc, what string) {
	logger := klog.FromContext(r.Context())
	channel := func(want bool, t wsstream.ChannelType) wsstream.ChannelType {
		if want {
			return t
		}
		return wsstream.IgnoreChannel
	}
	channels := []wsstream.ChannelType{
		stdinChannel:  channel(opts.Stdin, wsstream.ReadChannel),
		stdoutChannel: channel(opts.Stdout, wsstream.WriteChannel),
		stderrChannel: channel(opts.Stderr, wsstream.WriteChannel),
		errorChannel:  wsstream.WriteChannel,
		resizeChannel: wsstream.ReadChannel,
	}
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		remotecommand.StreamProtocolV5Name: {Binary: true, Channels: channels},
	})
	conn.SetIdleTimeout(idle)
	_, streams, err := conn.Open(w, r)
	if err != nil {
		logger.V(2).Info("Websocket upgrade failed", "err", err)
		return
	}
	defer conn.Close()
	// An empty message on the first stream the client reads tells it the streams are open.
	switch {
	case opts.Stdout:
		_, _ = streams[stdoutChannel].Write(nil)
	case opts.Stderr:
		_, _ = streams[stderrChannel].Write(nil)
	default:
		_, _ = streams[errorChannel].Write(nil)
	}
	var stdin io.Reader
	var stdout, stderr io.WriteCloser
	if opts.Stdin {
		stdin = streams[stdinChannel]
	}
	if opts.Stdout {
		stdout = streams[stdoutChannel]
	}
	if opts.Stderr {
		stderr = streams[stderrChannel]
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	resize := make(chan TerminalSize)
	go decodeResizes(ctx, streams[resizeChannel], resize)
	status := commandStatus(run(ctx, stdin, stdout, stderr, opts.TTY, resize), what)
	b, err := json.Marshal(status)
	if err == nil {
		_, err = streams[errorChannel].Write(b)
	}
	if err != nil {
		logger.V(4).Info("Writing the command's status failed", "err", err)
	}
}

// decodeResizes sends the client's terminal sizes, JSON on the resize channel, until the
// channel or ctx ends.
func decodeResizes(ctx context.Context, r io.Reader, out chan<- TerminalSize) {
	defer close(out)
	dec := json.NewDecoder(r)
	for {
		var size TerminalSize
		if err := dec.Decode(&size); err != nil {
			return
		}
		select {
		case out <- size:
		case <-ctx.Done():
			return
		}
	}
}

// streamStatus is the status a remote command's error channel carries from v4 on: a
// metav1.Status, of which these are the fields used.
type streamStatus struct {
	Status  string         `json:"status,omitempty"`
	Message string         `json:"message,omitempty"`
	Reason  string         `json:"reason,omitempty"`
	Details *statusDetails `json:"details,omitempty"`
	Code    int32          `json:"code,omitempty"`
}

type statusDetails struct {
	Causes []statusCause `json:"causes,omitempty"`
}

type statusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// commandStatus is the status of a finished exec or attach as cri-streaming reports it:
// success, a non-zero exit with its code (kubectl's "command terminated with exit code
// N"), or an internal error.
func commandStatus(err error, what string) streamStatus {
	if err == nil {
		return streamStatus{Status: "Success"}
	}
	var exit utilexec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return streamStatus{
			Status:  "Failure",
			Reason:  remotecommand.NonZeroExitCodeReason,
			Message: fmt.Sprintf("command terminated with non-zero exit code: %v", exit),
			Details: &statusDetails{Causes: []statusCause{{Type: remotecommand.ExitCodeCauseType, Message: strconv.Itoa(exit.ExitStatus())}}},
		}
	}
	return streamStatus{
		Status:  "Failure",
		Reason:  "InternalError",
		Message: fmt.Sprintf("Internal error occurred: %s: %v", what, err),
		Code:    http.StatusInternalServerError,
	}
}

// rawResponse is an http.ResponseWriter over a connection that is already the client's:
// it writes the response's status line and headers as bytes, and hands the connection over
// when hijacked. It lets cri-streaming's SPDY upgrade run inside a websocket tunnel.
type rawResponse struct {
	conn   net.Conn
	header http.Header

	mu          sync.Mutex
	wroteHeader bool
	err         error
}

func newRawResponse(conn net.Conn) *rawResponse {
	return &rawResponse{conn: conn, header: http.Header{}}
}

func (w *rawResponse) Header() http.Header { return w.header }

func (w *rawResponse) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if code != http.StatusSwitchingProtocols {
		w.header.Set("Connection", "close")
	}
	bw := bufio.NewWriter(w.conn)
	_, _ = fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	_ = w.header.Write(bw)
	_, _ = bw.WriteString("\r\n")
	w.err = bw.Flush()
}

func (w *rawResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return w.conn.Write(p)
}

func (w *rawResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}
