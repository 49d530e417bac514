package shell

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// repl is the interactive shell on a terminal: prompt, read a line, run it.
func (s *shell) repl(term proc.Terminal, params []string) int {
	// an interactive shell ignores SIGTERM, SIGINT and SIGQUIT
	s.p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGQUIT)
	pr, pw, err := os.Pipe()
	if err != nil {
		s.errorf("%s: %v", s.arg0, err)
		return 2
	}
	pw.Close()
	defer pr.Close()
	s.ttyIn = pr
	r, err := s.newRunner(pr, params)
	if err != nil {
		s.errorf("%s: %v", s.arg0, err)
		return 2
	}
	p := s.parser()
	var text strings.Builder
	buf := make([]byte, 4096)
	last := 0
	io.WriteString(s.p.Stdout, s.prompt(r, "PS1"))
	for {
		n, err := term.Read(buf)
		if errors.Is(err, proc.ErrInterrupted) {
			term.ClearInterrupt()
			text.Reset()
			last = 130
			// ^C at the prompt leaves $? at 130, as bash and ash do
			s.setStatus(r, 130)
			io.WriteString(s.p.Stdout, s.prompt(r, "PS1"))
			continue
		}
		if n == 0 && err != nil {
			if s.p.Ctx.Err() == nil {
				if s.d == Bash {
					io.WriteString(s.p.Stdout, "exit\n")
				} else {
					io.WriteString(s.p.Stdout, "\n")
				}
			}
			return last
		}
		text.Write(buf[:n])
		if !strings.HasSuffix(text.String(), "\n") {
			continue
		}
		file, perr := p.Parse(strings.NewReader(text.String()), s.arg0)
		if perr != nil && syntax.IsIncomplete(perr) {
			io.WriteString(s.p.Stdout, s.prompt(r, "PS2"))
			continue
		}
		text.Reset()
		if perr != nil {
			s.errorf("%s", s.syntaxError(perr))
			last = 2
			io.WriteString(s.p.Stdout, s.prompt(r, "PS1"))
			continue
		}
		if err := s.rewrite(file); err != nil {
			s.errorf("%s", err)
			last = 2
			io.WriteString(s.p.Stdout, s.prompt(r, "PS1"))
			continue
		}
		for _, stmt := range file.Stmts {
			var interrupted bool
			last, interrupted = s.runInteractive(r, term, stmt)
			// an interrupted run reports itself as exiting (the interpreter stops on a done
			// context); only a real exit ends the session
			if (r.Exited() && !interrupted) || s.p.Ctx.Err() != nil {
				return last
			}
			if interrupted {
				break // ^C abandons the rest of the line
			}
		}
		io.WriteString(s.p.Stdout, s.prompt(r, "PS1"))
	}
}

// runInteractive runs one statement with ^C interrupting it (also a ^C typed after the line
// was read but before the command started).
func (s *shell) runInteractive(r *interp.Runner, term proc.Terminal, stmt *syntax.Stmt) (int, bool) {
	ctx, cancel := context.WithCancelCause(s.p.Ctx)
	done := make(chan struct{})
	interrupted := make(chan bool, 1)
	go func() {
		select {
		case <-term.Interrupts():
			interrupted <- true
			// the foreground command gets the SIGINT, so it exits 130
			cancel(proc.Killed{Signal: proc.SIGINT})
		case <-done:
			interrupted <- false
		}
	}()
	err := r.Run(ctx, stmt)
	close(done)
	was := <-interrupted
	cancel(context.Canceled)
	if was {
		term.ClearInterrupt()
		s.setStatus(r, 130)
	}
	if was {
		return 130, true
	}
	return exitCode(err), false
}

// prompt expands PS1 or PS2 as the shell would: the backslash escapes of bash and busybox's
// fancy prompt, then parameter expansion (dash does neither).
func (s *shell) prompt(r *interp.Runner, which string) string {
	v, ok := r.Vars[which]
	ps := v.String()
	if !ok || !v.IsSet() {
		if which == "PS2" {
			ps = "> "
		} else {
			ps = s.d.defaultPS1()
		}
	}
	if s.d == Dash {
		return ps
	}
	host := s.p.Sys.Hostname()
	short, _, _ := strings.Cut(host, ".")
	dir := r.Dir
	if home := r.Vars["HOME"].String(); home != "" && (dir == home || strings.HasPrefix(dir, home+"/")) && home != "/" {
		dir = "~" + strings.TrimPrefix(dir, home)
	}
	base := dir
	if i := strings.LastIndexByte(dir, '/'); i >= 0 && dir != "/" {
		base = dir[i+1:]
	}
	var b strings.Builder
	for i := 0; i < len(ps); i++ {
		if ps[i] != '\\' || i+1 >= len(ps) {
			b.WriteByte(ps[i])
			continue
		}
		i++
		switch ps[i] {
		case 'w':
			b.WriteString(dir)
		case 'W':
			b.WriteString(base)
		case 'u':
			b.WriteString("root")
		case 'h':
			b.WriteString(short)
		case 'H':
			b.WriteString(host)
		case '$':
			b.WriteByte('#')
		case 's':
			b.WriteString(s.arg0)
		case 'v':
			b.WriteString("5.2")
		case 'n':
			b.WriteByte('\n')
		case 'e':
			b.WriteByte(0x1b)
		case '[', ']':
		case '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(ps[i])
		}
	}
	out := b.String()
	// bash expands parameters after the backslash escapes (promptvars)
	if strings.Contains(out, "$") {
		if w, err := syntax.NewParser().Document(strings.NewReader(out)); err == nil {
			if exp, err := expand.Document(&expand.Config{Env: runnerEnv{r}}, w); err == nil {
				out = exp
			}
		}
	}
	return out
}

// setStatus sets $? by running a subshell that exits with code.
func (s *shell) setStatus(r *interp.Runner, code int) {
	f, err := syntax.NewParser().Parse(strings.NewReader("(exit "+strconv.Itoa(code)+")"), "")
	if err == nil {
		_ = r.Run(s.p.Ctx, f.Stmts[0])
	}
}

// runnerEnv reads the variables a runner had after its last Run.
type runnerEnv struct{ r *interp.Runner }

func (e runnerEnv) Get(name string) expand.Variable { return e.r.Vars[name] }

func (e runnerEnv) Each(fn func(string, expand.Variable) bool) {
	for k, v := range e.r.Vars {
		if !fn(k, v) {
			return
		}
	}
}
