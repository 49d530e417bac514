package endpointslice_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// lagWatches is a client transport whose watches of one resource deliver
// every byte lag after the server sent it, as an informer of a loaded
// client or API server sees events late. Nothing else is slowed: the
// controller's own writes return at once, so its informer is behind what
// it has just written for lag, which is what the EndpointSliceTracker is
// there to detect.
type lagWatches struct {
	next     http.RoundTripper
	resource string
	lag      time.Duration
}

func (l lagWatches) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || req.URL.Query().Get("watch") != "true" || !strings.HasSuffix(req.URL.Path, "/"+l.resource) {
		return resp, err
	}
	resp.Body = newLaggingBody(resp.Body, l.lag)
	return resp, nil
}

// laggingBody hands out what body read, each chunk lag after it was read.
type laggingBody struct {
	body   io.ReadCloser
	lag    time.Duration
	chunks chan chunk
	done   chan struct{}
	once   sync.Once

	// Only Read touches these.
	buf []byte
	err error
}

type chunk struct {
	data []byte
	at   time.Time
	err  error
}

func newLaggingBody(body io.ReadCloser, lag time.Duration) *laggingBody {
	b := &laggingBody{body: body, lag: lag, chunks: make(chan chunk, 1024), done: make(chan struct{})}
	go func() {
		for {
			p := make([]byte, 32<<10)
			n, err := body.Read(p)
			select {
			case b.chunks <- chunk{data: p[:n], at: time.Now(), err: err}:
			case <-b.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return b
}

func (b *laggingBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		var c chunk
		select {
		case c = <-b.chunks:
		case <-b.done:
			return 0, io.ErrClosedPipe
		}
		select {
		case <-time.After(time.Until(c.at.Add(b.lag))):
		case <-b.done:
			return 0, io.ErrClosedPipe
		}
		b.buf, b.err = c.data, c.err
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *laggingBody) Close() error {
	b.once.Do(func() { close(b.done) })
	return b.body.Close()
}
