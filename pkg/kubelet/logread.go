package kubelet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// logOptions are containerLogs' query parameters.
type logOptions struct {
	previous, timestamps, follow bool
	tail                         int64 // -1: all
	since                        time.Time
	limit                        int64 // 0: no limit
	stream                       string
}

func (o *logOptions) parse(q url.Values) error {
	o.tail = -1
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid tailLines %q", v)
		}
		o.tail = n
	}
	if v := q.Get("sinceSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid sinceSeconds %q", v)
		}
		o.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("invalid sinceTime %q", v)
		}
		o.since = t
	}
	if v := q.Get("limitBytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid limitBytes %q", v)
		}
		o.limit = n
	}
	o.stream = q.Get("stream")
	return nil
}

// criLine is one parsed line of a CRI log file.
type criLine struct {
	ts      time.Time
	stream  string
	partial bool
	text    []byte
}

func parseCRILine(b []byte) (criLine, bool) {
	f := bytes.SplitN(b, []byte(" "), 4)
	if len(f) != 4 {
		return criLine{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(f[0]))
	if err != nil {
		return criLine{}, false
	}
	return criLine{ts: ts, stream: string(f[1]), partial: string(f[2]) == "P", text: f[3]}, true
}

// streamLog writes the log at path as kubectl logs shows it: the text of
// each line (RFC 3339 timestamps first with timestamps), the last tail
// lines, those since since, at most limit bytes, following the file while
// running says the container runs.
func streamLog(ctx context.Context, w io.Writer, path string, o logOptions, running func() bool) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []criLine
	r := bufio.NewReader(f)
	var written int64
	emit := func(l criLine) bool {
		var b bytes.Buffer
		if o.timestamps {
			b.WriteString(l.ts.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"))
			b.WriteByte(' ')
		}
		b.Write(l.text)
		if !l.partial {
			b.WriteByte('\n')
		}
		out := b.Bytes()
		if o.limit > 0 && written+int64(len(out)) > o.limit {
			out = out[:o.limit-written]
		}
		n, _ := w.Write(out)
		written += int64(n)
		if fl, ok := w.(http.Flusher); ok && o.follow {
			fl.Flush()
		}
		return o.limit == 0 || written < o.limit
	}
	keep := func(l criLine) bool {
		return (o.since.IsZero() || !l.ts.Before(o.since)) && (o.stream == "" || o.stream == "All" || o.stream == "Stdout" && l.stream == "stdout" || o.stream == "Stderr" && l.stream == "stderr")
	}
	var pending []byte
	for {
		chunk, err := r.ReadBytes('\n')
		pending = append(pending, chunk...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if l, ok := parseCRILine(bytes.TrimSuffix(pending, []byte("\n"))); ok && keep(l) {
			lines = append(lines, l)
		}
		pending = nil
	}
	if o.tail >= 0 && int64(len(lines)) > o.tail {
		lines = lines[int64(len(lines))-o.tail:]
	}
	for _, l := range lines {
		if !emit(l) {
			return nil
		}
	}
	if !o.follow {
		return nil
	}
	for {
		chunk, err := r.ReadBytes('\n')
		pending = append(pending, chunk...)
		if err == io.EOF {
			if !running() {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return err
		}
		if l, ok := parseCRILine(bytes.TrimSuffix(pending, []byte("\n"))); ok && keep(l) && !emit(l) {
			return nil
		}
		pending = nil
	}
}
