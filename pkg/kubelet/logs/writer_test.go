package logs

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// stepClock is a clock that moves one microsecond each time it is read, so that every
// entry of a golden log has its own timestamp.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock {
	return &stepClock{now: time.Date(2026, 5, 4, 3, 2, 1, 0, time.FixedZone("CEST", 2*3600))}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

func (c *stepClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// write is one write to one stream of a Writer.
type write struct {
	stderr bool
	text   string
}

func replay(t *testing.T, opts Options, writes []write) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	for _, wr := range writes {
		s := w.Stdout()
		if wr.stderr {
			s = w.Stderr()
		}
		n, err := s.Write([]byte(wr.text))
		if err != nil || n != len(wr.text) {
			t.Fatalf("Write(%q) = %d, %v", wr.text, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   Options
		writes []write
	}{
		{name: "lines", writes: []write{
			{text: "hello\n"},
			{stderr: true, text: "oops\n"},
			{text: "two\nlines\n"},
			{text: "\n"},
			{text: "crlf\r\n"},
			{text: "a lone \r stays\n"},
		}},
		{name: "interleaved-partials", writes: []write{
			{text: "out: start "},
			{stderr: true, text: "err: start "},
			{text: "end\n"},
			{stderr: true, text: "end\n"},
			{text: "split across \r"},
			{text: "\nwrites"},
			{text: " and left open at close"},
			{stderr: true, text: "stderr left open"},
		}},
		{name: "long-lines", opts: Options{MaxLineSize: 8}, writes: []write{
			{text: "12345678\n"},
			{text: "123456789\n"},
			{text: "1234567812345678\n"},
			{text: "12345"},
			{text: "67890abcdefghij"},
			{text: "k\n"},
			{stderr: true, text: "0123456789abcdefXYZ"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			opts.Clock = newStepClock()
			golden(t, "writer-"+tt.name, replay(t, opts, tt.writes))
		})
	}
}

// entries parses a CRI log into "stream tag text" triples, dropping timestamps after
// checking that each is RFC 3339 in UTC.
func entries(t *testing.T, log []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ts, rest, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("entry without fields: %q", sc.Text())
		}
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
			t.Fatalf("timestamp %q is not RFC 3339 UTC: %v", ts, err)
		}
		out = append(out, rest)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriterSplitsAtContainerdsMaxLineSize(t *testing.T) {
	t.Parallel()
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{name: "exactly the maximum is one entry", writes: []string{x(MaxLineSize) + "\n"},
			want: []string{"stdout F " + x(MaxLineSize)}},
		{name: "one byte more is a partial and a full entry", writes: []string{x(MaxLineSize+1) + "\n"},
			want: []string{"stdout P " + x(MaxLineSize), "stdout F x"}},
		{name: "twice the maximum ends with a full entry of the maximum", writes: []string{x(2*MaxLineSize) + "\n"},
			want: []string{"stdout P " + x(MaxLineSize), "stdout F " + x(MaxLineSize)}},
		{name: "the maximum without a newline waits for it", writes: []string{x(MaxLineSize), "\n"},
			want: []string{"stdout F " + x(MaxLineSize)}},
		{name: "a long line written a byte at a time", writes: strings.Split(x(MaxLineSize+2)+"\n", ""),
			want: []string{"stdout P " + x(MaxLineSize), "stdout F xx"}},
		{name: "unfinished at close", writes: []string{x(MaxLineSize + 3)},
			want: []string{"stdout P " + x(MaxLineSize), "stdout P xxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var writes []write
			for _, s := range tt.writes {
				writes = append(writes, write{text: s})
			}
			got := entries(t, replay(t, Options{}, writes))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterConcurrentStreams(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	const lines = 500
	var wg sync.WaitGroup
	for i, s := range []struct {
		name string
		out  io.Writer
	}{{"stdout", w.Stdout()}, {"stderr", w.Stderr()}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := s.out
			for n := range lines {
				// Each line in two writes, so that a line is only whole if the writer keeps
				// each stream's unfinished line apart.
				if _, err := fmt.Fprintf(out, "%s %d ", s.name, i); err != nil {
					t.Error(err)
				}
				if _, err := fmt.Fprintf(out, "line %d\n", n); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	for _, e := range entries(t, buf.Bytes()) {
		var stream, name string
		var i, n int
		if _, err := fmt.Sscanf(e, "%s F %s %d line %d", &stream, &name, &i, &n); err != nil {
			t.Fatalf("torn entry %q: %v", e, err)
		}
		if stream != name {
			t.Fatalf("entry %q went to the wrong stream", e)
		}
		if n != next[stream] {
			t.Fatalf("%s: line %d after line %d", stream, n, next[stream]-1)
		}
		next[stream]++
	}
	if next["stdout"] != lines || next["stderr"] != lines {
		t.Errorf("got %d stdout and %d stderr lines, want %d each", next["stdout"], next["stderr"], lines)
	}
}

func TestWriterClose(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := w.Stdout().Write([]byte("late\n")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if buf.Len() != 0 {
		t.Errorf("a writer closed with nothing pending wrote %q", buf.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsWriteErrors(t *testing.T) {
	t.Parallel()
	w := NewWriter(failingWriter{}, Options{})
	if _, err := w.Stdout().Write([]byte("a\n")); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write = %v, want the file's error", err)
	}
	if _, err := w.Stdout().Write([]byte("unfinished")); err != nil {
		t.Errorf("a write that completes no entry writes nothing, got %v", err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close = %v, want the file's error", err)
	}
}

func TestCreateAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "logs", "pods", "default_web_1234", "nginx", "0.log")
	for _, text := range []string{"first\n", "second\n"} {
		w, err := Create(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Stdout().Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"stdout F first", "stdout F second"}, entries(t, b)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 as containerd", fi.Mode().Perm())
	}
}
