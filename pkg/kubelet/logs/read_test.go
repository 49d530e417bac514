package logs

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// start is when the entries of writeLog begin: one second apart, in UTC.
var start = time.Date(2026, 5, 4, 1, 2, 3, 0, time.UTC)

// secondClock moves one second each time it is read.
type secondClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *secondClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(time.Second)
	return t
}

func (c *secondClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// writeLog writes a container log of five lines whose entries are stamped start, start+1s,
// ..., and returns its path.
func writeLog(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := Create(path, Options{Clock: &secondClock{now: start}})
	if err != nil {
		t.Fatal(err)
	}
	for _, wr := range []write{
		{text: "one\n"}, {stderr: true, text: "two\n"}, {text: "three\n"}, {stderr: true, text: "four\n"}, {text: "five"},
	} {
		s := w.Stdout()
		if wr.stderr {
			s = w.Stderr()
		}
		if _, err := s.Write([]byte(wr.text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func ptr[T any](v T) *T { return &v }

func TestRead(t *testing.T) {
	t.Parallel()
	path := writeLog(t)
	tests := []struct {
		name       string
		opts       *corev1.PodLogOptions
		dropStderr bool
		want       string
	}{
		{name: "everything in write order", opts: &corev1.PodLogOptions{},
			want: "one\ntwo\nthree\nfour\nfive"},
		{name: "nil options", opts: nil, want: "one\ntwo\nthree\nfour\nfive"},
		{name: "timestamps with nine digits", opts: &corev1.PodLogOptions{Timestamps: true},
			want: "2026-05-04T01:02:03.000000000Z one\n2026-05-04T01:02:04.000000000Z two\n2026-05-04T01:02:05.000000000Z three\n" +
				"2026-05-04T01:02:06.000000000Z four\n2026-05-04T01:02:07.000000000Z five"},
		{name: "tail", opts: &corev1.PodLogOptions{TailLines: ptr[int64](2)}, want: "four\nfive"},
		{name: "tail zero", opts: &corev1.PodLogOptions{TailLines: ptr[int64](0)}, want: ""},
		{name: "tail beyond the log", opts: &corev1.PodLogOptions{TailLines: ptr[int64](50)}, want: "one\ntwo\nthree\nfour\nfive"},
		{name: "since time", opts: &corev1.PodLogOptions{SinceTime: &metav1.Time{Time: start.Add(3 * time.Second)}},
			want: "four\nfive"},
		{name: "since seconds before now", opts: &corev1.PodLogOptions{SinceSeconds: ptr[int64](2)}, want: "three\nfour\nfive"},
		{name: "the later of since time and seconds wins",
			opts: &corev1.PodLogOptions{SinceSeconds: ptr[int64](4), SinceTime: &metav1.Time{Time: start.Add(4 * time.Second)}},
			want: "five"},
		{name: "limit bytes cuts a line", opts: &corev1.PodLogOptions{LimitBytes: ptr[int64](6)}, want: "one\ntw"},
		{name: "limit bytes counts timestamps", opts: &corev1.PodLogOptions{LimitBytes: ptr[int64](32), Timestamps: true},
			want: "2026-05-04T01:02:03.000000000Z o"},
		{name: "stdout only", opts: &corev1.PodLogOptions{}, dropStderr: true, want: "one\nthree\nfive"},
		{name: "tail and limit", opts: &corev1.PodLogOptions{TailLines: ptr[int64](3), LimitBytes: ptr[int64](8)}, want: "three\nfo"},
	}
	now := start.Add(4 * time.Second) // "since seconds" counts back from here
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			var stderr io.Writer = &out
			if tt.dropStderr {
				stderr = nil
			}
			if err := Read(context.Background(), path, "", tt.opts, now, nil, &out, stderr); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	err := Read(context.Background(), filepath.Join(t.TempDir(), "nope.log"), "", nil, start, nil, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "failed to try resolving symlinks in path") {
		t.Errorf("Read = %v, want cri-client's error for a missing file", err)
	}
}

// syncBuffer is a bytes.Buffer for one writer and a polling reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReadFollow(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Stdout().Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	var running atomic.Bool
	running.Store(true)
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Read(context.Background(), path, "containerd://abc", &corev1.PodLogOptions{Follow: true}, time.Now(),
			func(context.Context) bool { return running.Load() }, &out, &out)
	}()
	waitFor(t, "the existing line", func() bool { return out.String() == "before\n" })
	if _, err := w.Stderr().Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the line written while following", func() bool { return out.String() == "before\nafter\n" })
	select {
	case err := <-done:
		t.Fatalf("Read returned while the container runs: %v", err)
	default:
	}
	running.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a followed log did not end when its container stopped")
	}
}

func TestReadFollowEndsWithContext(t *testing.T) {
	t.Parallel()
	path := writeLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Read(ctx, path, "id", &corev1.PodLogOptions{Follow: true}, start, func(context.Context) bool { return true }, &bytes.Buffer{}, nil)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a followed log did not end with its context")
	}
}

// FuzzWriterRoundTrip writes random output in random pieces to both streams and reads the
// log back with cri-client's reader: each stream's output comes back as written, but for
// the "\r" of "\r\n" line ends, which containerd drops.
func FuzzWriterRoundTrip(f *testing.F) {
	f.Add([]byte("hello\nworld"), []byte("oops\r\n"), uint8(3), uint8(5))
	f.Add([]byte("\n\n\r\r\n"), []byte(""), uint8(1), uint8(1))
	f.Add([]byte(strings.Repeat("long line ", 10)), []byte("x\ny\nz"), uint8(0), uint8(7))
	f.Fuzz(func(t *testing.T, out, errOut []byte, chunk, maxLine uint8) {
		dir := t.TempDir()
		for _, stream := range []struct {
			name string
			data []byte
		}{{"stdout", out}, {"stderr", errOut}} {
			path := filepath.Join(dir, stream.name+".log")
			w, err := Create(path, Options{MaxLineSize: int(maxLine%16) + 1})
			if err != nil {
				t.Fatal(err)
			}
			s := w.Stdout()
			if stream.name == "stderr" {
				s = w.Stderr()
			}
			step := int(chunk%9) + 1
			for i := 0; i < len(stream.data); i += step {
				if _, err := s.Write(stream.data[i:min(i+step, len(stream.data))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var got, other bytes.Buffer
			if err := Read(context.Background(), path, "", nil, time.Now(), nil, &got, &other); err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(string(stream.data), "\r\n", "\n")
			if stream.name == "stderr" {
				got, other = other, got
			}
			if got.String() != want || other.Len() != 0 {
				raw, _ := os.ReadFile(path)
				t.Fatalf("%s read back as %q (other stream %q), want %q; log:\n%s", stream.name, got.String(), other.String(), want, raw)
			}
		}
	})
}
