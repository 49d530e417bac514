package kubelet

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// criLog writes a container's output in the CRI log format containerd
// writes: one "<RFC3339Nano> <stream> <F|P> <text>" line per line of
// output (P for a piece of a line longer than maxLogLine), both streams
// interleaved in write order.
type criLog struct {
	mu    sync.Mutex
	f     *os.File
	clock clock.Clock
	// partial holds each stream's unfinished line.
	partial map[string][]byte
}

// maxLogLine is containerd's default max_container_log_line_size.
const maxLogLine = 16 * 1024

// openLog creates the log file of a container instance and points cfg's
// stdout and stderr at it.
func (k *Kubelet) openLog(pod *corev1.Pod, container string, restart int32, cfg *containerConfig) (*criLog, error) {
	path := k.LogPath(pod, container, restart)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	l := &criLog{f: f, clock: k.clock, partial: map[string][]byte{}}
	cfg.setOutput(l.stream("stdout"), l.stream("stderr"))
	return l, nil
}

func (l *criLog) stream(name string) io.Writer {
	return writerFunc(func(p []byte) (int, error) { return len(p), l.write(name, p) })
}

func (l *criLog) write(stream string, p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := append(l.partial[stream], p...)
	var out bytes.Buffer
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		l.line(&out, stream, "F", buf[:i])
		buf = buf[i+1:]
	}
	for len(buf) >= maxLogLine {
		l.line(&out, stream, "P", buf[:maxLogLine])
		buf = buf[maxLogLine:]
	}
	l.partial[stream] = append([]byte(nil), buf...)
	_, err := l.f.Write(out.Bytes())
	return err
}

func (l *criLog) line(out *bytes.Buffer, stream, tag string, text []byte) {
	out.WriteString(l.clock.Now().UTC().Format(time.RFC3339Nano))
	out.WriteByte(' ')
	out.WriteString(stream)
	out.WriteByte(' ')
	out.WriteString(tag)
	out.WriteByte(' ')
	out.Write(text)
	out.WriteByte('\n')
}

// Close writes what is left of unfinished lines, as partial lines, and
// closes the file.
func (l *criLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out bytes.Buffer
	for _, stream := range []string{"stdout", "stderr"} {
		if rest := l.partial[stream]; len(rest) > 0 {
			l.line(&out, stream, "P", rest)
		}
	}
	_, err := l.f.Write(out.Bytes())
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
