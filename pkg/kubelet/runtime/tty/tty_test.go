package tty

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// readLines reads what the terminal has queued, stopping at the first end-of-file.
func readLines(t *testing.T, term *Terminal) []string {
	t.Helper()
	term.CloseInput()
	var out []string
	buf := make([]byte, 64)
	for {
		n, err := term.Read(buf)
		if errors.Is(err, proc.ErrInterrupted) {
			out = append(out, "<interrupt>")
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		out = append(out, string(buf[:n]))
	}
}

func TestLineDiscipline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		typed     string
		wantEcho  string
		wantLines []string
	}{
		{"enter sends a line", "ls\r", "ls\r\n", []string{"ls\n"}},
		{"crlf is one newline", "a\r\nb\n", "a\r\nb\r\n", []string{"a\n", "b\n"}},
		{"backspace erases", "lx\x7fs\r", "lx\b \bs\r\n", []string{"ls\n"}},
		{"backspace on empty line", "\x7f\r", "\r\n", []string{"\n"}},
		{"erase a multibyte rune", "é\x7fe\r", "é\b \be\r\n", []string{"e\n"}},
		{"kill line", "abc\x15x\r", "abc\b \b\b \b\b \bx\r\n", []string{"x\n"}},
		{"word erase", "echo foo\x17bar\r", "echo foo\b \b\b \b\b \bbar\r\n", []string{"echo bar\n"}},
		{"ctrl-c discards", "abc\x03ok\r", "abc^C\r\nok\r\n", []string{"<interrupt>", "ok\n"}},
		{"ctrl-c flushes typed-ahead lines", "one\rtwo\r\x03", "one\r\ntwo\r\n^C\r\n", []string{"<interrupt>"}},
		{"arrow keys are swallowed", "a\x1b[Ab\r", "ab\r\n", []string{"ab\n"}},
		{"control characters echo as caret", "a\x01\r", "a^A\r\n", []string{"a\x01\n"}},
		{"ctrl-d mid-line sends the line without newline", "ab\x04", "ab", []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var echo bytes.Buffer
			term := New(&echo)
			term.Feed([]byte(tt.typed))
			if diff := cmp.Diff(tt.wantEcho, echo.String()); diff != "" {
				t.Errorf("echo (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLines, readLines(t, term)); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEOFAndInterrupt(t *testing.T) {
	t.Parallel()
	var echo bytes.Buffer
	term := New(&echo)
	term.Feed([]byte("\x04after\r"))
	buf := make([]byte, 16)
	if n, err := term.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("^D on an empty line: %d %v, want EOF", n, err)
	}
	if n, err := term.Read(buf); err != nil || string(buf[:n]) != "after\n" {
		t.Fatalf("reading goes on after ^D: %q %v", buf[:n], err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := term.Read(buf)
		got <- err
	}()
	time.Sleep(10 * time.Millisecond)
	term.Feed([]byte{0x03})
	select {
	case err := <-got:
		if !errors.Is(err, proc.ErrInterrupted) {
			t.Errorf("waiting reader got %v, want ErrInterrupted", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("^C did not wake the reader")
	}
	select {
	case <-term.Interrupts():
	default:
		t.Error("no interrupt delivered")
	}
}

func TestOutputAddsCarriageReturns(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	term := New(&out)
	if _, err := io.WriteString(term.Output(), "a\nb\n"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a\r\nb\r\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestShortReadsKeepTheRest(t *testing.T) {
	t.Parallel()
	term := New(io.Discard)
	term.Feed([]byte("abcdef\r"))
	buf := make([]byte, 4)
	n, err := term.Read(buf)
	if err != nil || string(buf[:n]) != "abcd" {
		t.Fatalf("first read %q %v", buf[:n], err)
	}
	rest := make([]byte, 8)
	k, err := term.Read(rest)
	if err != nil || string(rest[:k]) != "ef\n" {
		t.Errorf("second read %q %v, want the rest of the line", rest[:k], err)
	}
}

func FuzzFeed(f *testing.F) {
	for _, s := range []string{"ls\r", "\x7f\x7f\x15\x17", "\x1b[1;5A\x1bOP", "\x03\x04\x1c", "é\x7f", "\r\n\n\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, typed []byte) {
		var echo bytes.Buffer
		term := New(&echo)
		term.Feed(typed)
		term.CloseInput()
		buf := make([]byte, 8)
		total := 0
		for i := 0; i < len(typed)+10; i++ {
			n, err := term.Read(buf)
			total += n
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, proc.ErrInterrupted) {
				t.Fatal(err)
			}
			if err != nil && i > len(typed) {
				break
			}
		}
		if total > len(typed)+len(typed) {
			t.Errorf("read %d bytes from %d typed", total, len(typed))
		}
	})
}
