package shell

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// Names the rewritten AST and the call handler use; none is a valid shell name, so a script
// cannot define or set them.
const (
	varPID   = "\x00pid"
	varPPID  = "\x00ppid"
	varArg0  = "\x00arg0"
	internal = "\x00"
)

// maxSubstOutput caps what one program may write into a command substitution, so that
// x=$(yes) fails instead of filling the fakecluster process' memory.
const maxSubstOutput = 16 << 20

type shell struct {
	p           *proc.Proc
	d           Dialect
	arg0        string
	interactive bool
	line        atomic.Int64 // of the command running, for messages; pipelines update it concurrently
	envOrder    []string
	opts        []string

	ttyIn *os.File // placeholder stdin of an interactive shell

	mu     sync.Mutex
	traps  map[proc.Signal]string
	sigCh  <-chan proc.Signal
	cancel context.CancelFunc
	caught proc.Signal
}

// Run is the shell program: sh [-eux] [-o opt] [-c command [arg0 [args...]] | script [args...]].
func Run(p *proc.Proc, d Dialect) int {
	s := &shell{p: p, d: d, arg0: p.Args[0], traps: map[proc.Signal]string{}}
	for _, kv := range p.Env {
		k, _, _ := strings.Cut(kv, "=")
		s.envOrder = append(s.envOrder, k)
	}
	args := p.Args[1:]
	var command *string
	forceInteractive := false
	readStdin := false
options:
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--" || a == "-":
			args = args[1:]
			break options
		case a == "--login" || a == "--norc" || a == "--noprofile" || a == "--posix":
		case a == "--version" && d == Bash:
			fmt.Fprintln(p.Stdout, "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)")
			return 0
		case strings.HasPrefix(a, "--"):
			s.errorf("%s: %s: invalid option", s.arg0, a)
			return 2
		case len(a) > 1 && (a[0] == '-' || a[0] == '+'):
			for i := 1; i < len(a); i++ {
				switch c := a[i]; c {
				case 'c':
					if a[0] == '-' {
						command = new(string)
					}
				case 'i':
					forceInteractive = true
				case 's':
					readStdin = true
				case 'l':
				case 'o':
					if len(args) < 2 {
						s.errorf("%s: -o: option requires an argument", s.arg0)
						return 2
					}
					s.opts = append(s.opts, a[:1]+"o", args[1])
					args = args[1:]
				case 'e', 'u', 'x', 'f', 'n', 'v', 'a', 'C':
					if c != 'v' {
						s.opts = append(s.opts, a[:1]+string(c))
					}
				default:
					s.errorf("%s: %s: invalid option", s.arg0, a[:1]+string(c))
					return 2
				}
			}
		default:
			break options
		}
		args = args[1:]
	}
	var params []string
	var script io.Reader
	switch {
	case command != nil:
		if len(args) == 0 {
			s.errorf("%s: -c: option requires an argument", s.arg0)
			return 2
		}
		*command = args[0]
		args = args[1:]
		if len(args) > 0 {
			s.arg0, args = args[0], args[1:]
		}
		params = args
		script = strings.NewReader(*command)
	case len(args) > 0 && !readStdin:
		f, err := p.Open(args[0])
		if err != nil {
			s.arg0 = p.Args[0]
			if d == Dash {
				s.errorf("%s: 0: cannot open %s: %s", s.arg0, args[0], noSuchFile(err))
			} else if d == Bash {
				s.errorf("%s: %s: %s", s.arg0, args[0], proc.Strerror(err))
			} else {
				s.errorf("%s: can't open '%s': %s", s.arg0, args[0], proc.Strerror(err))
			}
			return 127
		}
		defer f.Close()
		s.arg0, params, script = args[0], args[1:], f
	default:
		params = args
		if term, ok := p.Stdin.(proc.Terminal); ok && (p.TTY || forceInteractive) {
			s.interactive = true
			return s.repl(term, params)
		}
	}
	return s.runScript(script, params)
}

func noSuchFile(err error) string {
	if proc.Errno(err) == syscall.ENOENT {
		return "No such file"
	}
	return proc.Strerror(err)
}

// parser returns the parser for the dialect. Ash gets bash syntax too: busybox ash accepts
// [[ ]], ${x//a/b} and friends.
func (s *shell) parser() *syntax.Parser {
	if s.d == Dash {
		return syntax.NewParser(syntax.Variant(syntax.LangPOSIX))
	}
	return syntax.NewParser(syntax.Variant(syntax.LangBash))
}

// runScript runs a -c string, a script file or the script read from standard input.
func (s *shell) runScript(script io.Reader, params []string) int {
	var stdin *os.File
	fromStdin := script == nil
	if fromStdin {
		script = s.p.Stdin
	} else {
		var closeIn func()
		var err error
		stdin, closeIn, err = s.stdinFile()
		if err != nil {
			s.errorf("%s: %v", s.arg0, err)
			return 2
		}
		defer closeIn()
	}
	r, err := s.newRunner(stdin, params)
	if err != nil {
		s.errorf("%s: %v", s.arg0, err)
		return 2
	}
	p := s.parser()
	if !fromStdin {
		b, err := io.ReadAll(script)
		if err != nil {
			s.errorf("%s: %s", s.arg0, proc.Strerror(err))
			return 2
		}
		file, err := p.Parse(strings.NewReader(string(b)), s.arg0)
		if err != nil {
			s.errorf("%s", s.syntaxError(err))
			return 2
		}
		if err := s.rewrite(file); err != nil {
			s.errorf("%s", err)
			return 2
		}
		return s.runNode(r, file)
	}
	code := 0
	for stmt, err := range p.StmtsSeq(script) {
		if err != nil {
			s.errorf("%s", s.syntaxError(err))
			return 2
		}
		if err := s.rewrite(stmt); err != nil {
			s.errorf("%s", err)
			return 2
		}
		code = s.runNode(r, stmt)
		if r.Exited() || s.p.Ctx.Err() != nil || s.caughtSignal() != 0 {
			return code
		}
	}
	return code
}

// runNode runs one node under a context that a trapped signal can cancel, then runs the
// trap's action as the shell would on return from the foreground command.
func (s *shell) runNode(r *interp.Runner, node syntax.Node) int {
	ctx, cancel := context.WithCancel(s.p.Ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	err := r.Run(ctx, node)
	cancel()
	code := exitCode(err)
	s.mu.Lock()
	sig := s.caught
	action := s.traps[sig]
	s.mu.Unlock()
	if sig == 0 || s.p.Ctx.Err() != nil {
		return code
	}
	file, perr := s.parser().Parse(strings.NewReader(action), s.arg0)
	if perr != nil {
		return 128 + int(sig)
	}
	_ = s.rewrite(file)
	err = r.Run(s.p.Ctx, file)
	if r.Exited() {
		return exitCode(err)
	}
	return 128 + int(sig)
}

func (s *shell) caughtSignal() proc.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caught
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	return 1
}

// stdinFile gives the interpreter an *os.File for standard input (it insists on one): the
// process' own when it is already a pipe, nothing for /dev/null, else a pipe fed from it.
func (s *shell) stdinFile() (*os.File, func(), error) {
	switch in := s.p.Stdin.(type) {
	case *os.File:
		return in, func() {}, nil
	case proc.Empty:
		return nil, func() {}, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	src := s.p.Stdin
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := pw.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		pw.Close()
	}()
	return pr, func() { pr.Close() }, nil
}

// baseEnv is the interpreter's starting environment: the process environment plus the
// shell's own unexported variables.
type baseEnv struct {
	list  expand.Environ
	extra map[string]expand.Variable
}

func (b baseEnv) Get(name string) expand.Variable {
	if v, ok := b.extra[name]; ok {
		return v
	}
	return b.list.Get(name)
}

func (b baseEnv) Each(fn func(name string, vr expand.Variable) bool) {
	for n, v := range b.list.Each {
		if _, shadowed := b.extra[n]; shadowed {
			continue
		}
		if !fn(n, v) {
			return
		}
	}
	for n, v := range b.extra {
		if !fn(n, v) {
			return
		}
	}
}

func str(v string, exported bool) expand.Variable {
	return expand.Variable{Set: true, Kind: expand.String, Str: v, Exported: exported}
}

// unreachableTempDir is the interpreter's temporary directory: it opens FIFO paths under it
// directly on the host, so it must be a path that no container path can be.
func unreachableTempDir() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "/\x00fakecluster-no-host-tmp/" + hex.EncodeToString(b[:])
}

func (s *shell) newRunner(stdin *os.File, params []string) (*interp.Runner, error) {
	pid := strconv.Itoa(s.p.Sys.PID())
	ppid := "0"
	if s.p.Sys.PID() != 1 {
		ppid = "1"
	}
	ps1, hasPS1 := proc.LookupEnv(s.p.Env, "PS1")
	if !hasPS1 || s.d == Bash {
		ps1 = s.d.defaultPS1()
	}
	extra := map[string]expand.Variable{
		varPID: str(pid, false), varPPID: str(ppid, false), varArg0: str(s.arg0, false),
		"UID": str("0", false), "EUID": str("0", false), "GID": str("0", false),
		"TMPDIR": str(unreachableTempDir(), true),
		"IFS":    str(" \t\n", false), "OPTIND": str("1", false),
		"PS2": str("> ", false), "PS4": str("+ ", false),
	}
	if s.interactive || s.d != Bash {
		extra["PS1"] = str(ps1, false)
	}
	if _, ok := proc.LookupEnv(s.p.Env, "HOME"); !ok {
		extra["HOME"] = str("/root", false)
	}
	if s.d == Bash {
		lvl, _ := strconv.Atoi(s.p.Getenv("SHLVL"))
		extra["SHLVL"] = str(strconv.Itoa(lvl+1), true)
		extra["BASH"] = str("/bin/bash", false)
		extra["BASH_VERSION"] = str("5.2.15(1)-release", false)
		extra["HOSTNAME"] = str(s.p.Sys.Hostname(), s.hasEnv("HOSTNAME"))
	}
	stdout, stderr := s.p.Stdout, s.p.Stderr
	opts := []interp.RunnerOption{
		interp.Env(baseEnv{list: expand.ListEnviron(s.p.Env...), extra: extra}),
		interp.StdIO(stdin, stdout, stderr),
		interp.ExecHandlers(s.execMiddleware),
		interp.OpenHandler(s.open),
		interp.StatHandler(s.stat),
		interp.ReadDirHandler2(s.readDir),
		interp.AccessHandler(s.access),
		interp.CallHandler(s.call),
		interp.Interactive(s.interactive),
	}
	if len(s.opts) > 0 {
		opts = append(opts, interp.Params(s.opts...))
	}
	opts = append(opts, interp.Params(append([]string{"--"}, params...)...))
	r, err := interp.New(opts...)
	if err != nil {
		return nil, err
	}
	// set the directory ourselves: interp.Dir would stat the host path of that name
	r.Dir = s.p.Dir
	r.Reset()
	// the unreachable TMPDIR is in force (Reset read it); give the script its own value back
	restore := "unset TMPDIR"
	if v, ok := proc.LookupEnv(s.p.Env, "TMPDIR"); ok {
		restore = "export TMPDIR=" + s.quoteAlways(v)
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(restore), "")
	if err != nil {
		return nil, err
	}
	if err := r.Run(s.p.Ctx, f); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *shell) hasEnv(name string) bool {
	_, ok := proc.LookupEnv(s.p.Env, name)
	return ok
}

func (s *shell) quoteAlways(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'"'"'`) + "'"
}

// rewrite points $$, $PPID and $0 at the container's values (the interpreter would give the
// host process' ids and its own name) and refuses process substitution.
func (s *shell) rewrite(node syntax.Node) error {
	var err error
	syntax.Walk(node, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if n.Param != nil {
				switch n.Param.Value {
				case "$":
					n.Param = &syntax.Lit{ValuePos: n.Param.ValuePos, ValueEnd: n.Param.ValueEnd, Value: varPID}
				case "PPID":
					n.Param = &syntax.Lit{ValuePos: n.Param.ValuePos, ValueEnd: n.Param.ValueEnd, Value: varPPID}
				case "0":
					n.Param = &syntax.Lit{ValuePos: n.Param.ValuePos, ValueEnd: n.Param.ValueEnd, Value: varArg0}
				}
			}
		case *syntax.ProcSubst:
			if err == nil {
				if s.d == Bash {
					err = fmt.Errorf("%sprocess substitution is not supported by this simulated bash", s.where())
				} else {
					err = fmt.Errorf("%s: syntax error: unexpected \"(\"", s.arg0)
				}
			}
		}
		return true
	})
	return err
}

// environ is the exported environment as a program started now gets it: the original
// order first, variables exported later after it, sorted.
func (s *shell) environ(env expand.Environ) []string {
	vals := map[string]string{}
	for name, vr := range env.Each {
		if vr.IsSet() && vr.Exported && vr.Kind == expand.String && !strings.HasPrefix(name, internal) {
			vals[name] = vr.Str
		} else {
			delete(vals, name)
		}
	}
	out := make([]string, 0, len(vals))
	seen := map[string]bool{}
	for _, k := range s.envOrder {
		if v, ok := vals[k]; ok && !seen[k] {
			out = append(out, k+"="+v)
			seen[k] = true
		}
	}
	var rest []string
	for k := range vals {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, k+"="+vals[k])
	}
	return out
}

// shellVars lists every set variable for `set`, sorted by name.
func shellVars(env expand.Environ) [][2]string {
	vals := map[string]string{}
	for name, vr := range env.Each {
		if vr.IsSet() && vr.Kind == expand.String && !strings.HasPrefix(name, internal) {
			vals[name] = vr.Str
		} else {
			delete(vals, name)
		}
	}
	out := make([][2]string, 0, len(vals))
	for k, v := range vals {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func (s *shell) abs(dir, name string) string {
	if path.IsAbs(name) {
		return path.Clean(name)
	}
	return path.Join(dir, name)
}

// stdinFor maps the interpreter's stdin back to what the program should read.
func (s *shell) stdinFor(hc interp.HandlerContext) io.Reader {
	if hc.Stdin == nil {
		return proc.Empty{}
	}
	if f, ok := hc.Stdin.(*os.File); ok {
		if f == nil {
			return proc.Empty{}
		}
		if f == s.ttyIn {
			return s.p.Stdin
		}
	}
	return hc.Stdin
}

// limited fails writes past a cap with ENOSPC.
type limited struct {
	w    io.Writer
	left int64
}

func (l *limited) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, &fs.PathError{Op: "write", Path: "stdout", Err: syscall.ENOSPC}
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

func (s *shell) execMiddleware(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := interp.HandlerCtx(ctx)
		if hc.Pos.IsValid() {
			s.line.Store(int64(hc.Pos.Line()))
		}
		if strings.HasPrefix(args[0], internal) && args[0] != internal+"replace" {
			return s.builtin(ctx, hc, strings.TrimPrefix(args[0], internal), args[1:])
		}
		replace := false
		if args[0] == internal+"replace" {
			replace, args = true, args[1:]
		}
		stdout := hc.Stdout
		if _, ok := stdout.(*strings.Builder); ok {
			stdout = &limited{w: stdout, left: maxSubstOutput}
		}
		child := &proc.Proc{
			Ctx:    ctx,
			Args:   args,
			Env:    s.environ(hc.Env),
			Dir:    hc.Dir,
			Stdin:  s.stdinFor(hc),
			Stdout: stdout,
			Stderr: hc.Stderr,
			TTY:    s.p.TTY && hc.Stdout == s.p.Stdout,
			Sys:    s.p.Sys,
		}
		var code int
		var err error
		if replace {
			code, err = s.p.Sys.Replace(child)
		} else {
			code, err = s.p.Sys.Exec(child)
		}
		if err != nil {
			var ee *proc.ExecError
			if errors.As(err, &ee) && ee.Err == syscall.ENOEXEC {
				// a file the kernel cannot execute is a script for this shell, as POSIX says
				script := *child
				script.Args = append([]string{s.p.Args[0]}, args...)
				if code = Run(&script, s.d); code == 0 {
					return nil
				}
				return interp.ExitStatus(uint8(code))
			}
			if errors.As(err, &ee) {
				fmt.Fprintln(hc.Stderr, s.execFailed(args[0], ee.Err))
				if ee.Err == syscall.ENOENT {
					return interp.ExitStatus(127)
				}
				return interp.ExitStatus(126)
			}
			return err
		}
		if code == 0 {
			return nil
		}
		return interp.ExitStatus(uint8(code))
	}
}

type nopCloser struct {
	io.Reader
	io.Writer
}

func (nopCloser) Close() error { return nil }

func (nopCloser) Read([]byte) (int, error) { return 0, io.EOF }

type readOnly struct{ io.Reader }

func (readOnly) Write([]byte) (int, error) { return 0, syscall.EBADF }
func (readOnly) Close() error              { return nil }

func (s *shell) open(ctx context.Context, name string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	switch path.Clean(name) {
	case "/dev/stdout", "/proc/self/fd/1", "/dev/fd/1":
		return nopCloser{Writer: hc.Stdout}, nil
	case "/dev/stderr", "/proc/self/fd/2", "/dev/fd/2":
		return nopCloser{Writer: hc.Stderr}, nil
	case "/dev/stdin", "/proc/self/fd/0", "/dev/fd/0":
		return readOnly{s.stdinFor(hc)}, nil
	case "/dev/tty":
		if s.p.TTY {
			if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
				return nopCloser{Writer: s.p.Stdout}, nil
			}
			return readOnly{s.p.Stdin}, nil
		}
	}
	f, err := s.p.Sys.FS().OpenFile(s.abs(hc.Dir, name), flag, perm)
	if err != nil {
		op, text := s.redirError(name, flag&os.O_CREATE != 0, err)
		return nil, &fs.PathError{Op: op, Path: name, Err: textError(text)}
	}
	return f, nil
}

type textError string

func (t textError) Error() string { return string(t) }

func (s *shell) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	hc := interp.HandlerCtx(ctx)
	if follow {
		return s.p.Sys.FS().Stat(s.abs(hc.Dir, name))
	}
	return s.p.Sys.FS().Lstat(s.abs(hc.Dir, name))
}

func (s *shell) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	hc := interp.HandlerCtx(ctx)
	return s.p.Sys.FS().ReadDir(s.abs(hc.Dir, name))
}

func (s *shell) access(ctx context.Context, name string, mode interp.AccessMode) error {
	hc := interp.HandlerCtx(ctx)
	st, err := s.p.Sys.FS().Stat(s.abs(hc.Dir, name))
	if err != nil {
		return err
	}
	if mode&interp.AccessExec != 0 && !st.IsDir() && st.Mode()&0o111 == 0 {
		return &fs.PathError{Op: "access", Path: name, Err: syscall.EACCES}
	}
	return nil
}
