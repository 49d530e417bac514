package runtime

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/tty"
)

// TerminalSize is a terminal resize event; the simulated terminals ignore sizes.
type TerminalSize struct {
	Width, Height uint16
}

// Exec runs cmd in the container as `kubectl exec` does and returns its exit status. With
// withTTY the process gets a terminal: a line discipline echoes stdin and output has CR LF line
// ends; stderr is unused. When ctx ends first the process is killed and ctx's error returned.
// A command that cannot start gives an *ExecError with containerd's text.
func (c *Container) Exec(ctx context.Context, cmd []string, stdin io.Reader, stdout, stderr io.Writer, withTTY bool, resize <-chan TerminalSize) (int, error) {
	select {
	case <-c.done:
		return 0, ErrNotRunning
	default:
	}
	if len(cmd) == 0 {
		return 0, &ExecError{Message: "failed to exec in container: failed to start exec " + fmt.Sprintf("%q", newID()) + ": OCI runtime exec failed: exec failed: unable to start container process: exec: \"\": executable file not found in $PATH: unknown"}
	}
	if resize != nil {
		go func() {
			for {
				select {
				case _, ok := <-resize:
					if !ok {
						return
					}
				case <-c.done:
					return
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	env := append([]string(nil), c.env...)
	if withTTY {
		env = mergeEnv(env, "TERM=xterm")
	}
	argv := cmd
	if argv[0] == "set" && !c.rt.opts.StrictExec {
		if _, x := c.lookPath("set", env, c.dir); x != nil {
			argv = append([]string{"\x00set"}, argv[1:]...)
		}
	}
	fn, argv, xerr := c.resolve(argv, env, c.dir)
	if xerr != nil {
		return 0, &ExecError{Message: fmt.Sprintf("failed to exec in container: failed to start exec %q: OCI runtime exec failed: exec failed: unable to start container process: %s: unknown", newID(), startFailure(xerr))}
	}
	// the exec process belongs to the container; the request only bounds how long we wait
	p := c.newProcess(c.ctx, argv)
	stopReq := context.AfterFunc(ctx, func() { p.cancel(proc.Killed{Signal: proc.SIGKILL}) })
	defer stopReq()
	child := &proc.Proc{Env: env, Dir: c.dir, TTY: withTTY}
	var wg sync.WaitGroup
	switch {
	case withTTY:
		if stdout == nil {
			stdout = io.Discard
		}
		term := tty.New(stdout)
		child.Stdin, child.Stdout, child.Stderr = term, term.Output(), term.Output()
		if stdin == nil {
			term.CloseInput()
		} else {
			wg.Go(func() { feed(p.ctx, term, stdin) })
		}
		defer term.CloseInput()
	default:
		if stdin == nil {
			child.Stdin = proc.Empty{}
		} else {
			child.Stdin = newPump(p.ctx, stdin)
		}
		child.Stdout, child.Stderr = orDiscard(stdout), orDiscard(stderr)
	}
	code := c.run(p, fn, child, argv)
	c.remove(p)
	if err := ctx.Err(); err != nil {
		return code, err
	}
	return code, nil
}

// feed types what the client sends into a terminal until the client or the process ends.
func feed(ctx context.Context, term *tty.Terminal, r io.Reader) {
	defer term.CloseInput()
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		n, err := r.Read(buf)
		if n > 0 {
			term.Feed(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// pump is a process' stdin from a client stream: Read returns io.EOF once the process has
// ended even while the client's stream is still open.
type pump struct {
	ch   chan []byte
	ctx  context.Context
	buf  []byte
	done bool
}

func newPump(ctx context.Context, r io.Reader) *pump {
	pu := &pump{ch: make(chan []byte), ctx: ctx}
	go func() {
		defer close(pu.ch)
		for {
			b := make([]byte, 32<<10)
			n, err := r.Read(b)
			if n > 0 {
				select {
				case pu.ch <- b[:n]:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return pu
}

func (pu *pump) Read(p []byte) (int, error) {
	if len(pu.buf) == 0 {
		if pu.done {
			return 0, io.EOF
		}
		select {
		case b, ok := <-pu.ch:
			if !ok {
				pu.done = true
				return 0, io.EOF
			}
			pu.buf = b
		case <-pu.ctx.Done():
			pu.done = true
			return 0, io.EOF
		}
	}
	n := copy(p, pu.buf)
	pu.buf = pu.buf[n:]
	return n, nil
}

// Attach connects a client to the main process' streams as `kubectl attach` and
// `kubectl run -it` do: output from now on goes to stdout/stderr (with the container's TTY,
// all of it to stdout), stdin is typed into the process (or its terminal); on a StdinOnce container the
// end of the client's input closes the process' stdin. It returns when the container exits,
// ctx ends or writing to the client fails.
func (c *Container) Attach(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	select {
	case <-c.done:
		return ErrNotRunning
	default:
	}
	var clients []*client
	if stdout != nil {
		clients = append(clients, c.stdout.add(stdout))
	}
	if stderr != nil && !c.tty {
		clients = append(clients, c.stderr.add(stderr))
	}
	defer func() {
		for _, cl := range clients {
			c.stdout.drop(cl)
			c.stderr.drop(cl)
		}
	}()
	if stdin != nil && (c.term != nil || c.stdinW != nil) {
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := stdin.Read(buf)
				if n > 0 {
					if c.term != nil {
						c.term.Feed(buf[:n])
					} else if _, werr := c.stdinW.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					if c.stdinOnce {
						c.closeStdin()
					}
					return
				}
				select {
				case <-c.done:
					return
				default:
				}
			}
		}()
	}
	var outDone <-chan struct{}
	if len(clients) > 0 {
		outDone = clients[0].done
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return ctx.Err()
	case <-outDone:
	}
	return nil
}

func (c *Container) closeStdin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stdinClosed {
		return
	}
	c.stdinClosed = true
	if c.term != nil {
		c.term.CloseInput()
	}
	if c.stdinW != nil {
		c.stdinW.Close()
	}
}

// PortForward forwards to port in the container's pod; see Sandbox.PortForward.
func (c *Container) PortForward(ctx context.Context, port int32, stream io.ReadWriteCloser) error {
	return c.sb.PortForward(ctx, port, stream)
}
