package tty

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// maxLine is the longest line canonical mode keeps, as Linux's N_TTY.
const maxLine = 4095

// Terminal is one pseudo-terminal. Feed it what the client types; give the program Terminal
// itself as stdin and Output as stdout and stderr.
type Terminal struct {
	mu      sync.Mutex
	cond    *sync.Cond
	line    []byte
	queue   [][]byte // completed lines; a nil entry is an end-of-file (^D)
	partial []byte   // rest of a line a short Read did not take
	closed  bool
	// intrGen counts ^C; seen is the count the readers have been told about
	intrGen int
	seen    int
	lastCR  bool
	esc     int // 0 none, 1 after ESC, 2 inside a CSI/SS3 sequence

	intr chan struct{}

	wmu sync.Mutex
	out io.Writer
}

var _ proc.Terminal = (*Terminal)(nil)

// New returns a terminal that writes echo and program output to out.
func New(out io.Writer) *Terminal {
	t := &Terminal{out: out, intr: make(chan struct{}, 1)}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// Interrupts receives a value for each ^C (and ^\) typed; a pending value is not repeated.
func (t *Terminal) Interrupts() <-chan struct{} { return t.intr }

// Feed processes bytes the client typed.
func (t *Terminal) Feed(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var echo bytes.Buffer
	for i := 0; i < len(p); i++ {
		c := p[i]
		if t.esc > 0 {
			switch {
			case t.esc == 1 && (c == '[' || c == 'O'):
				t.esc = 2
			case t.esc == 1:
				t.esc = 0
			case c >= 0x40 && c <= 0x7e:
				t.esc = 0
			}
			continue
		}
		if c == '\n' && t.lastCR {
			t.lastCR = false
			continue
		}
		t.lastCR = c == '\r'
		switch c {
		case '\r', '\n':
			echo.WriteString("\r\n")
			t.queue = append(t.queue, append(t.line, '\n'))
			t.line = nil
			t.cond.Broadcast()
		case 0x7f, 0x08:
			if len(t.line) > 0 {
				_, size := utf8.DecodeLastRune(t.line)
				erased := t.line[len(t.line)-size:]
				t.line = t.line[:len(t.line)-size]
				w := 1
				if erased[0] < 0x20 {
					w = 2
				}
				for range w {
					echo.WriteString("\b \b")
				}
			}
		case 0x15: // ^U
			for range utf8.RuneCount(t.line) {
				echo.WriteString("\b \b")
			}
			t.line = nil
		case 0x17: // ^W
			end := len(t.line)
			for end > 0 && t.line[end-1] == ' ' {
				end--
			}
			for end > 0 && t.line[end-1] != ' ' {
				end--
			}
			for range utf8.RuneCount(t.line[end:]) {
				echo.WriteString("\b \b")
			}
			t.line = t.line[:end]
		case 0x03, 0x1c: // ^C, ^\
			if c == 0x03 {
				echo.WriteString("^C\r\n")
			} else {
				echo.WriteString("^\\\r\n")
			}
			// like ISIG without NOFLSH: the interrupt flushes what was typed ahead
			t.line, t.queue, t.partial = nil, nil, nil
			t.intrGen++
			t.cond.Broadcast()
			select {
			case t.intr <- struct{}{}:
			default:
			}
		case 0x04: // ^D
			if len(t.line) == 0 {
				t.queue = append(t.queue, nil)
			} else {
				t.queue = append(t.queue, t.line)
				t.line = nil
			}
			t.cond.Broadcast()
		case 0x1b:
			t.esc = 1
		case 0x0c, 0x11, 0x13: // ^L, ^Q, ^S
		default:
			if len(t.line) >= maxLine {
				continue
			}
			t.line = append(t.line, c)
			if c < 0x20 && c != '\t' {
				echo.WriteByte('^')
				echo.WriteByte(c + '@')
			} else {
				echo.WriteByte(c)
			}
		}
	}
	if echo.Len() > 0 {
		t.wmu.Lock()
		t.out.Write(echo.Bytes())
		t.wmu.Unlock()
	}
}

// CloseInput says the client's input ended: readers get io.EOF from now on, once what was
// typed before is read.
func (t *Terminal) CloseInput() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.cond.Broadcast()
}

// Read returns at most one line, or ErrInterrupted once for ^C typed since a reader was last
// told (or ClearInterrupt called).
func (t *Terminal) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.partial) == 0 && len(t.queue) == 0 && !t.closed && t.seen == t.intrGen {
		t.cond.Wait()
	}
	if t.seen != t.intrGen {
		t.seen = t.intrGen
		return 0, proc.ErrInterrupted
	}
	if len(t.partial) > 0 {
		n := copy(p, t.partial)
		t.partial = t.partial[n:]
		return n, nil
	}
	if len(t.queue) > 0 {
		l := t.queue[0]
		t.queue = t.queue[1:]
		if l == nil {
			return 0, io.EOF
		}
		n := copy(p, l)
		t.partial = l[n:]
		return n, nil
	}
	return 0, io.EOF
}

// ClearInterrupt forgets the ^C typed so far, once the program has dealt with them (a shell
// that interrupted its foreground command).
func (t *Terminal) ClearInterrupt() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen = t.intrGen
	for {
		select {
		case <-t.intr:
		default:
			return
		}
	}
}

// Output is the program's side of the terminal: every newline goes out as CR LF.
func (t *Terminal) Output() io.Writer { return onlcr{t} }

type onlcr struct{ t *Terminal }

func (o onlcr) Write(p []byte) (int, error) {
	o.t.wmu.Lock()
	defer o.t.wmu.Unlock()
	if bytes.IndexByte(p, '\n') < 0 {
		return o.t.out.Write(p)
	}
	if _, err := o.t.out.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
