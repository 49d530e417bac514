package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// MaxLineSize is containerd's default max_container_log_line_size: the most bytes of
// output one log entry holds; a longer line is split into partial entries.
const MaxLineSize = 16 * 1024

// ErrClosed is returned by writes to a Writer after Close.
var ErrClosed = errors.New("container log is closed")

// Options tune a Writer; the zero value is containerd's behaviour on the real clock.
type Options struct {
	// Clock stamps each entry; nil means the real clock. Tests inject a fake one.
	Clock clock.PassiveClock
	// MaxLineSize is the most bytes of output per entry; 0 means MaxLineSize.
	MaxLineSize int
}

// Writer writes a container's output in the CRI log format, one entry per line of output:
//
//	<RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>
//
// F marks the end of a line of output, P a piece of one: a line longer than the maximum
// is cut into pieces of that size, and output left without a newline when the writer
// closes ends with a P entry, as containerd's CRI logger does. A line's "\n" (or "\r\n")
// is not part of its text. Timestamps are UTC, as on nodes that run in UTC, so a log does
// not depend on the time zone of the machine that runs fakecluster.
//
// Stdout and Stderr may be written from different goroutines: each Write is one step, so
// entries of the two streams interleave in the order of the writes.
type Writer struct {
	clock   clock.PassiveClock
	maxLine int
	closer  io.Closer // the file Create opened, or nil

	mu      sync.Mutex
	w       io.Writer
	pending [2][]byte // the unfinished line of stdout and of stderr
	closed  bool
}

// The streams, as indexes of Writer.pending.
const (
	stdout = iota
	stderr
)

func streamName(stream int) string {
	if stream == stderr {
		return "stderr"
	}
	return "stdout"
}

// NewWriter writes the log to w. Close does not close w.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.MaxLineSize <= 0 {
		opts.MaxLineSize = MaxLineSize
	}
	return &Writer{clock: opts.Clock, maxLine: opts.MaxLineSize, w: w}
}

// Create opens the log file at path for appending, creating it and its folders as
// containerd does (mode 0640 for the file, 0755 for folders), and writes the log to it.
// Close closes the file.
func Create(path string, opts Options) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create container log folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open container log: %w", err)
	}
	w := NewWriter(f, opts)
	w.closer = f
	return w, nil
}

// Stdout is where the container's standard output goes.
func (w *Writer) Stdout() io.Writer { return streamWriter{w, stdout} }

// Stderr is where the container's standard error goes.
func (w *Writer) Stderr() io.Writer { return streamWriter{w, stderr} }

type streamWriter struct {
	w      *Writer
	stream int
}

func (s streamWriter) Write(p []byte) (int, error) { return s.w.write(s.stream, p) }

func (w *Writer) write(stream int, p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	var out bytes.Buffer
	buf := append(w.pending[stream], p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		line := buf[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		w.line(&out, stream, line)
		buf = buf[i+1:]
	}
	// containerd cuts an unfinished line once it holds more than the maximum; exactly the
	// maximum may still end with a newline and be one full entry.
	for len(buf) > w.maxLine {
		w.entry(&out, stream, 'P', buf[:w.maxLine])
		buf = buf[w.maxLine:]
	}
	w.pending[stream] = append(w.pending[stream][:0:0], buf...)
	if out.Len() == 0 {
		return len(p), nil
	}
	if _, err := w.w.Write(out.Bytes()); err != nil {
		return len(p), fmt.Errorf("write container log: %w", err)
	}
	return len(p), nil
}

// line writes a complete line of output: pieces of the maximum size, the last one full.
func (w *Writer) line(out *bytes.Buffer, stream int, text []byte) {
	for len(text) > w.maxLine {
		w.entry(out, stream, 'P', text[:w.maxLine])
		text = text[w.maxLine:]
	}
	w.entry(out, stream, 'F', text)
}

func (w *Writer) entry(out *bytes.Buffer, stream int, tag byte, text []byte) {
	out.WriteString(w.clock.Now().UTC().Format(time.RFC3339Nano))
	out.WriteByte(' ')
	out.WriteString(streamName(stream))
	out.WriteByte(' ')
	out.WriteByte(tag)
	out.WriteByte(' ')
	out.Write(text)
	out.WriteByte('\n')
}

// Close writes what is left of unfinished lines as partial entries, stdout's first, and
// closes the file Create opened. Later writes fail with ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var out bytes.Buffer
	for stream, rest := range w.pending {
		if len(rest) > 0 {
			w.entry(&out, stream, 'P', rest)
		}
		w.pending[stream] = nil
	}
	var err error
	if out.Len() > 0 {
		if _, werr := w.w.Write(out.Bytes()); werr != nil {
			err = fmt.Errorf("write container log: %w", werr)
		}
	}
	if w.closer != nil {
		if cerr := w.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close container log: %w", cerr)
		}
	}
	return err
}
