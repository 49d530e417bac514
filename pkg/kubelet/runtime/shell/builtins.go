package shell

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// call rewrites the built-ins that the interpreter would run against the host, or not at
// all, into internal commands that the exec middleware answers.
func (s *shell) call(ctx context.Context, args []string) ([]string, error) {
	hc := interp.HandlerCtx(ctx)
	if hc.Pos.IsValid() {
		s.line.Store(int64(hc.Pos.Line()))
	}
	switch args[0] {
	case "set":
		if len(args) == 1 {
			return []string{internal + "set"}, nil
		}
	case "kill", "umask", "ulimit", "type":
		return append([]string{internal + args[0]}, args[1:]...), nil
	case "command":
		if len(args) > 2 && (args[1] == "-v" || args[1] == "-V") {
			return append([]string{internal + "command"}, args[1:]...), nil
		}
	case "exec":
		if len(args) > 1 {
			return append([]string{"exec", internal + "replace"}, args[1:]...), nil
		}
	case "trap":
		return s.trap(args), nil
	case "echo":
		if s.d == Dash {
			return append([]string{internal + "dashecho"}, args[1:]...), nil
		}
	}
	return args, nil
}

// trap keeps EXIT and ERR traps for the interpreter and records signal traps itself: the
// signal is then routed to this shell, which runs the action when it arrives.
func (s *shell) trap(args []string) []string {
	if len(args) < 3 {
		return args
	}
	action := args[1]
	keep := []string{"trap", action}
	for _, name := range args[2:] {
		switch strings.ToUpper(strings.TrimPrefix(name, "SIG")) {
		case "EXIT", "0", "ERR":
			keep = append(keep, name)
			continue
		}
		sig, ok := proc.ParseSignal(name)
		if !ok || sig == proc.SIGKILL || sig == proc.SIGSTOP {
			continue
		}
		s.mu.Lock()
		if action == "-" {
			delete(s.traps, sig)
		} else {
			s.traps[sig] = action
		}
		first := s.sigCh == nil
		s.mu.Unlock()
		ch := s.p.Sys.Notify(sig)
		if first {
			s.mu.Lock()
			s.sigCh = ch
			s.mu.Unlock()
			go s.signals(ch)
		}
	}
	if len(keep) == 2 {
		return []string{":"}
	}
	return keep
}

// signals waits for trapped signals; one with an action stops the foreground work so that
// runNode can run the action.
func (s *shell) signals(ch <-chan proc.Signal) {
	for {
		select {
		case <-s.p.Ctx.Done():
			return
		case sig := <-ch:
			s.mu.Lock()
			action, trapped := s.traps[sig]
			if trapped && action != "" && s.caught == 0 {
				s.caught = sig
				if s.cancel != nil {
					s.cancel()
				}
			}
			s.mu.Unlock()
		}
	}
}

func (s *shell) lookPath(hc interp.HandlerContext, name string) (string, bool) {
	isExec := func(f string) bool {
		st, err := s.p.Sys.FS().Stat(f)
		return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
	}
	if strings.Contains(name, "/") {
		return name, isExec(s.abs(hc.Dir, name))
	}
	for _, d := range strings.Split(hc.Env.Get("PATH").String(), ":") {
		if d == "" {
			d = "."
		}
		f := path.Join(d, name)
		if isExec(s.abs(hc.Dir, f)) {
			return f, true
		}
	}
	return "", false
}

func (s *shell) builtin(ctx context.Context, hc interp.HandlerContext, name string, args []string) error {
	out, errw := hc.Stdout, hc.Stderr
	fail := func(code int) error {
		if code == 0 {
			return nil
		}
		return interp.ExitStatus(uint8(code))
	}
	switch name {
	case "set":
		for _, kv := range shellVars(hc.Env) {
			fmt.Fprintf(out, "%s=%s\n", kv[0], s.quoteValue(kv[1]))
		}
		return nil
	case "dashecho":
		newline := true
		if len(args) > 0 && args[0] == "-n" {
			newline, args = false, args[1:]
		}
		text := strings.Join(args, " ")
		if i := strings.Index(text, `\c`); i >= 0 {
			text, newline = text[:i], false
		}
		text = unescape(text)
		if newline {
			text += "\n"
		}
		_, err := fmt.Fprint(out, text)
		if err != nil {
			return fail(1)
		}
		return nil
	case "umask":
		if len(args) == 0 {
			fmt.Fprintln(out, "0022")
		} else if args[0] == "-S" {
			fmt.Fprintln(out, "u=rwx,g=rx,o=rx")
		}
		return nil
	case "ulimit":
		switch {
		case len(args) > 0 && args[0] == "-n":
			fmt.Fprintln(out, "1048576")
		case len(args) > 0 && args[0] == "-a":
			fmt.Fprint(out, "core file size (blocks)         (-c) unlimited\nopen files                      (-n) 1048576\nmax user processes              (-u) unlimited\nstack size              (kbytes, -s) 8192\n")
		default:
			fmt.Fprintln(out, "unlimited")
		}
		return nil
	case "type", "command":
		verbose := name == "type"
		if name == "command" {
			verbose = args[0] == "-V"
			args = args[1:]
		}
		status := 0
		for _, a := range args {
			switch {
			case syntax.IsKeyword(a):
				if verbose {
					fmt.Fprintf(out, "%s is a shell keyword\n", a)
				} else {
					fmt.Fprintln(out, a)
				}
			case interp.IsBuiltin(a):
				if verbose {
					if s.d == Ash && (a == "set" || a == "export" || a == "exit" || a == "exec" || a == "trap" || a == "unset" || a == "eval" || a == "." || a == ":") {
						fmt.Fprintf(out, "%s is a special shell builtin\n", a)
					} else {
						fmt.Fprintf(out, "%s is a shell builtin\n", a)
					}
				} else {
					fmt.Fprintln(out, a)
				}
			default:
				if f, ok := s.lookPath(hc, a); ok {
					if verbose {
						fmt.Fprintf(out, "%s is %s\n", a, f)
					} else {
						fmt.Fprintln(out, f)
					}
					continue
				}
				status = 1
				if verbose {
					if s.d == Bash {
						fmt.Fprintf(errw, "%stype: %s: not found\n", s.where(), a)
					} else {
						fmt.Fprintf(out, "%s: not found\n", a)
						status = 127
					}
				}
			}
		}
		return fail(status)
	case "kill":
		return fail(s.kill(hc, args))
	}
	fmt.Fprintln(errw, s.notFound(name))
	return fail(127)
}

func (s *shell) kill(hc interp.HandlerContext, args []string) int {
	out, errw := hc.Stdout, hc.Stderr
	sig := proc.SIGTERM
	if len(args) > 0 && (args[0] == "-l" || args[0] == "-L") {
		var names []string
		for i := proc.Signal(1); i <= 31; i++ {
			names = append(names, i.Name())
		}
		if s.d == Bash {
			for i, n := range names {
				fmt.Fprintf(out, "%2d) SIG%s\t", i+1, n)
				if (i+1)%5 == 0 {
					fmt.Fprintln(out)
				}
			}
			fmt.Fprintln(out)
		} else {
			fmt.Fprintln(out, strings.Join(names, "\n"))
		}
		return 0
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--" {
		spec := args[0][1:]
		args = args[1:]
		if (spec == "s" || spec == "n") && len(args) > 0 {
			spec, args = args[0], args[1:]
		}
		v, ok := proc.ParseSignal(spec)
		if !ok {
			switch s.d {
			case Bash:
				fmt.Fprintf(errw, "%skill: %s: invalid signal specification\n", s.where(), spec)
			case Dash:
				fmt.Fprintf(errw, "%skill: invalid signal number or name: %s\n", s.where(), spec)
			default:
				fmt.Fprintf(errw, "%skill: bad signal name '%s'\n", s.where(), spec)
			}
			return 1
		}
		sig = v
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		switch s.d {
		case Bash:
			fmt.Fprintf(errw, "%skill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n", s.where())
			return 2
		case Dash:
			fmt.Fprintf(errw, "%skill: Usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or\nkill -l [exitstatus]\n", s.where())
			return 2
		}
		fmt.Fprintf(errw, "%skill: usage: kill [-s SIG] PID\n", s.where())
		return 1
	}
	status := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			switch s.d {
			case Bash:
				fmt.Fprintf(errw, "%skill: %s: arguments must be process or job IDs\n", s.where(), a)
			case Dash:
				fmt.Fprintf(errw, "%skill: Illegal number: %s\n", s.where(), a)
			default:
				fmt.Fprintf(errw, "%skill: invalid number '%s'\n", s.where(), a)
			}
			status = 1
			continue
		}
		if err := s.p.Sys.Kill(pid, sig); err != nil {
			switch s.d {
			case Bash:
				fmt.Fprintf(errw, "%skill: (%d) - %s\n", s.where(), pid, proc.Strerror(err))
			case Dash:
				fmt.Fprintf(errw, "%skill: %s\n", s.where(), proc.Strerror(err))
			default:
				fmt.Fprintf(errw, "%skill: can't kill pid %d: %s\n", s.where(), pid, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

// unescape handles dash echo's backslash escapes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\':
			b.WriteByte('\\')
		case '0':
			j, v := i+1, 0
			for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
				v = v*8 + int(s[j]-'0')
				j++
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
