package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/tty"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// Mount puts a host file or directory at a path inside the container.
type Mount struct {
	// ContainerPath is where the container sees it.
	ContainerPath string
	// HostPath is the real file or directory (under the kubelet's sandbox directory).
	HostPath string
	// ReadOnly refuses writes with "Read-only file system".
	ReadOnly bool
}

// ContainerConfig is what the kubelet asks to run; it mirrors the CRI's container config.
type ContainerConfig struct {
	Name  string
	Image Image
	// Command and Args are the container's (already $(VAR)-expanded). Empty Command means the
	// image's entrypoint; empty Args with empty Command the image's cmd.
	Command, Args []string
	// Env is "NAME=value" as the kubelet computed it; it overrides the image's variables.
	Env []string
	// WorkingDir overrides the image's; it is created when missing, as runc does.
	WorkingDir string
	Mounts     []Mount
	// Stdin keeps the main process' standard input open for Attach; StdinOnce closes it when
	// the first attached client's input ends. TTY gives the main process a terminal.
	Stdin, StdinOnce, TTY bool
	// Stdout and Stderr receive the main process' output (the kubelet writes them to the CRI
	// log); with TTY everything goes to Stdout. Each is written by one goroutine at a time, but
	// the two may be written concurrently. Writes are not split into lines. Nil discards.
	Stdout, Stderr io.Writer
	// StopSignal overrides the image's stop signal (0: the image's, SIGTERM by default).
	StopSignal Signal
}

// StartError is a container that could not be started, with the exit code and message the
// kubelet reports as the StartError terminated state.
type StartError struct {
	ExitCode int
	Message  string
}

func (e *StartError) Error() string { return e.Message }

// ExecError is an exec that could not start its process, with containerd's message
// (`... OCI runtime exec failed: exec failed: unable to start container process: exec:
// "nosuch": executable file not found in $PATH: unknown`).
type ExecError struct {
	Message string
}

func (e *ExecError) Error() string { return e.Message }

// ErrNotRunning is returned by Exec and Attach on a container that has exited.
var ErrNotRunning = errors.New("container is in CONTAINER_EXITED state")

// State is a snapshot of a container.
type State struct {
	Running    bool
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
}

// Container is a started container.
type Container struct {
	rt   *Runtime
	sb   *Sandbox
	id   string
	img  Image
	fs   *vfs.FS
	env  []string
	dir  string
	stop proc.Signal
	tty  bool

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu       sync.Mutex
	procs    map[int]*process
	nextPID  int
	main     *process
	exitCode int
	started  time.Time
	finished time.Time

	stdout, stderr *broadcaster
	term           *tty.Terminal
	stdinW         *io.PipeWriter
	stdinR         *io.PipeReader
	stdinOnce      bool
	stdinClosed    bool
}

// ID is the container ID (64 hex digits).
func (c *Container) ID() string { return c.id }

// Wait is closed when the main process has exited.
func (c *Container) Wait() <-chan struct{} { return c.done }

// ExitCode is the main process' exit status; valid once Wait is closed.
func (c *Container) ExitCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitCode
}

// State reports whether the container runs, and its exit code and times.
func (c *Container) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return State{ExitCode: c.exitCode, StartedAt: c.started, FinishedAt: c.finished}
	default:
		return State{Running: true, StartedAt: c.started}
	}
}

// FS is the container's filesystem (for the kubelet's tests and tools; programs see it too).
func (c *Container) FS() *vfs.FS { return c.fs }

// Sandbox is the pod sandbox the container runs in.
func (c *Container) Sandbox() *Sandbox { return c.sb }

// mergeEnv sets "K=V" entries in env, replacing a variable in place or appending it, as
// containerd's WithEnv does.
func mergeEnv(env []string, add ...string) []string {
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range env {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				env[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

// containerArgv applies the CRI's rules: Command replaces the entrypoint (and drops the
// image's cmd), Args replaces cmd.
func containerArgv(img Image, command, args []string) []string {
	switch {
	case len(command) > 0:
		return append(append([]string(nil), command...), args...)
	case len(args) > 0:
		return append(append([]string(nil), img.Entrypoint...), args...)
	}
	return append(append([]string(nil), img.Entrypoint...), img.Cmd...)
}

// startFailure words a program that cannot be started as containerd 2 with runc does.
func startFailure(x *proc.ExecError) string {
	var detail string
	switch {
	case x.InPath && x.Err == syscall.ENOENT:
		detail = fmt.Sprintf("exec: %q: executable file not found in $PATH", x.Name)
	case x.Err == syscall.ENOENT:
		detail = fmt.Sprintf("exec: %q: stat %s: no such file or directory", x.Name, x.Name)
	case x.Err == syscall.ENOEXEC:
		detail = fmt.Sprintf("exec %s: exec format error", x.Name)
	default:
		detail = fmt.Sprintf("exec: %q: %s", x.Name, strings.ToLower(proc.Strerror(x.Err)))
	}
	return detail
}

// Start creates and starts a container in the sandbox. A command that cannot be started
// gives a *StartError with exit code 128 and containerd's message.
func (s *Sandbox) Start(ctx context.Context, cfg ContainerConfig) (*Container, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tree, err := s.rt.catalog.Tree(cfg.Image)
	if err != nil {
		return nil, fmt.Errorf("start container %s: %w", cfg.Name, err)
	}
	mounts := make([]vfs.Mount, 0, len(cfg.Mounts))
	for _, m := range cfg.Mounts {
		mounts = append(mounts, vfs.Mount{Path: m.ContainerPath, HostPath: m.HostPath, ReadOnly: m.ReadOnly})
	}
	fs, err := vfs.New(tree, mounts, vfs.Options{LayerLimit: s.rt.opts.LayerLimit, HostWriteLimit: s.rt.opts.HostWriteLimit})
	if err != nil {
		return nil, &StartError{ExitCode: 128, Message: "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting: " + err.Error() + ": unknown"}
	}
	started := false
	defer func() {
		if !started {
			_ = fs.Close()
		}
	}()
	env := []string{"PATH=" + defaultPath, "HOSTNAME=" + s.hostname}
	env = mergeEnv(env, cfg.Image.Env...)
	env = mergeEnv(env, cfg.Env...)
	if cfg.TTY {
		env = mergeEnv(env, "TERM=xterm")
	}
	if _, ok := proc.LookupEnv(env, "HOME"); !ok {
		env = append(env, "HOME=/root")
	}
	dir := cfg.WorkingDir
	if dir == "" {
		dir = cfg.Image.WorkingDir
	}
	if dir == "" {
		dir = "/"
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, &StartError{ExitCode: 128, Message: fmt.Sprintf("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: chdir to cwd (%q) set in config.json failed: %s: unknown", dir, strings.ToLower(proc.Strerror(err)))}
	}
	stop := cfg.StopSignal
	if stop == 0 {
		stop = cfg.Image.StopSignal
	}
	if stop == 0 {
		stop = proc.SIGTERM
	}
	cctx, cancel := context.WithCancelCause(context.Background())
	c := &Container{
		rt: s.rt, sb: s, id: newID(), img: cfg.Image, fs: fs, env: env, dir: dir, stop: stop,
		tty: cfg.TTY, ctx: cctx, cancel: cancel, done: make(chan struct{}), procs: map[int]*process{},
		stdout: &broadcaster{sink: orDiscard(cfg.Stdout)}, stderr: &broadcaster{sink: orDiscard(cfg.Stderr)},
		stdinOnce: cfg.StdinOnce,
	}
	argv := containerArgv(cfg.Image, cfg.Command, cfg.Args)
	if len(argv) == 0 {
		cancel(context.Canceled)
		return nil, fmt.Errorf("failed to generate container %q spec: failed to generate spec: no command specified", cfg.Name)
	}
	if argv[0] == "set" && !s.rt.opts.StrictExec {
		if _, x := c.lookPath("set", env, dir); x != nil {
			argv = append([]string{"\x00set"}, argv[1:]...)
		}
	}
	fn, argv, xerr := c.resolve(argv, env, dir)
	if xerr != nil {
		cancel(context.Canceled)
		return nil, &StartError{ExitCode: 128, Message: "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: " + startFailure(xerr) + ": unknown"}
	}
	child := &proc.Proc{Env: env, Dir: dir}
	switch {
	case cfg.TTY:
		c.term = tty.New(c.stdout)
		// without Stdin the terminal never gets input: a shell on it waits, as on a real pty
		child.Stdin, child.Stdout, child.Stderr, child.TTY = c.term, c.term.Output(), c.term.Output(), true
	case cfg.Stdin:
		c.stdinR, c.stdinW = io.Pipe()
		child.Stdin, child.Stdout, child.Stderr = c.stdinR, c.stdout, c.stderr
	default:
		child.Stdin, child.Stdout, child.Stderr = proc.Empty{}, c.stdout, c.stderr
	}
	c.main = c.newProcess(c.ctx, argv)
	c.started = time.Now()
	started = true
	go c.runMain(fn, child, argv)
	return c, nil
}

// resolve finds the program of argv, with the runtime's `set` stand-in.
func (c *Container) resolve(argv, env []string, dir string) (proc.Func, []string, *proc.ExecError) {
	if argv[0] == "\x00set" {
		return setProgram, append([]string{"set"}, argv[1:]...), nil
	}
	return c.program(argv, env, dir, 0)
}

// setProgram prints the environment as bash's `set` lists variables, for `exec pod -- set`.
func setProgram(p *proc.Proc) int {
	vars := append([]string(nil), p.Env...)
	sort.Strings(vars)
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(p.Stdout, "%s=%s\n", k, bashQuote(v))
	}
	return 0
}

func bashQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n'\"\\|&;()<>!{}*[?]^$`") && v[0] != '~' && v[0] != '#' {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func (c *Container) runMain(fn proc.Func, child *proc.Proc, argv []string) {
	code := c.run(c.main, fn, child, argv)
	c.remove(c.main)
	c.mu.Lock()
	c.exitCode = code
	c.finished = time.Now()
	c.mu.Unlock()
	// the rest of the container's processes die with its init
	c.cancel(proc.Killed{Signal: proc.SIGKILL})
	if c.term != nil {
		c.term.CloseInput()
	}
	if c.stdinR != nil {
		c.stdinR.CloseWithError(io.EOF)
		c.stdinW.Close()
	}
	c.stdout.closeClients()
	c.stderr.closeClients()
	// the mounts go with the container, as its mount namespace does: processes still dying
	// get EBADF from them, and Wait returns with no host directory or file held open
	_ = c.fs.Close()
	close(c.done)
}

// Stop sends the stop signal (the image's: SIGQUIT for nginx, SIGWINCH for httpd, else
// SIGTERM) to the main process and kills the container if it has not exited after grace. A
// program that does not handle the signal ignores it as PID 1 does, so it runs until killed
// (exit 137). Stop returns once the container has exited.
func (c *Container) Stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	// with no grace period containerd sends SIGKILL alone
	if grace > 0 {
		c.main.signal(c.stop, true)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
	c.Kill()
	<-c.done
}

// Kill sends SIGKILL to every process of the container.
func (c *Container) Kill() {
	c.main.cancel(proc.Killed{Signal: proc.SIGKILL})
	c.cancel(proc.Killed{Signal: proc.SIGKILL})
}

// Signal sends sig to the main process as `kill` from the node would.
func (c *Container) Signal(sig Signal) {
	c.main.signal(sig, true)
}

// broadcaster fans the main process' output out to the log and to attached clients.
type broadcaster struct {
	mu      sync.Mutex
	sink    io.Writer
	clients []*client
}

type client struct {
	w    io.Writer
	done chan struct{}
	once sync.Once
}

func (cl *client) close() { cl.once.Do(func() { close(cl.done) }) }

func (b *broadcaster) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, _ = b.sink.Write(p)
	kept := b.clients[:0]
	for _, cl := range b.clients {
		if _, err := cl.w.Write(p); err != nil {
			cl.close()
			continue
		}
		kept = append(kept, cl)
	}
	b.clients = kept
	return len(p), nil
}

func (b *broadcaster) add(w io.Writer) *client {
	cl := &client{w: w, done: make(chan struct{})}
	b.mu.Lock()
	b.clients = append(b.clients, cl)
	b.mu.Unlock()
	return cl
}

func (b *broadcaster) drop(cl *client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.clients {
		if x == cl {
			b.clients = append(b.clients[:i], b.clients[i+1:]...)
			break
		}
	}
	cl.close()
}

func (b *broadcaster) closeClients() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cl := range b.clients {
		cl.close()
	}
	b.clients = nil
}
