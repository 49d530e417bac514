package shell

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"mvdan.cc/sh/v3/syntax"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// Dialect is which shell is imitated.
type Dialect int

const (
	// Ash is busybox's ash (sh in busybox and alpine images).
	Ash Dialect = iota
	// Dash is Debian's /bin/sh.
	Dash
	// Bash is GNU bash.
	Bash
)

// Applet returns the program for a dialect, to put in a command table under sh, ash, dash or
// bash.
func Applet(d Dialect) proc.Func {
	return func(p *proc.Proc) int { return Run(p, d) }
}

// where prefixes a message as the shell does: "sh: ", "sh: 1: ", "bash: line 1: ".
func (s *shell) where() string {
	switch s.d {
	case Dash:
		return s.arg0 + ": " + strconv.Itoa(max(1, int(s.line.Load()))) + ": "
	case Bash:
		if s.interactive {
			return s.arg0 + ": "
		}
		return s.arg0 + ": line " + strconv.Itoa(max(1, int(s.line.Load()))) + ": "
	}
	return s.arg0 + ": "
}

func (s *shell) notFound(name string) string {
	if s.d == Bash {
		return s.where() + name + ": command not found"
	}
	return s.where() + name + ": not found"
}

func (s *shell) execFailed(name string, err syscall.Errno) string {
	if err == syscall.ENOENT {
		if strings.Contains(name, "/") {
			if s.d == Bash {
				return s.where() + name + ": No such file or directory"
			}
			return s.notFound(name)
		}
		return s.notFound(name)
	}
	if s.d == Bash && err == syscall.EISDIR {
		return s.where() + name + ": Is a directory"
	}
	return s.where() + name + ": " + proc.Strerror(err)
}

// redirError is the text of a failed redirection; it is returned as the Op of a PathError so
// the interpreter prints it as is.
func (s *shell) redirError(name string, create bool, err error) (op, text string) {
	e := proc.Errno(err)
	switch s.d {
	case Ash:
		if create {
			if e == syscall.ENOENT {
				return s.where() + "can't create", "nonexistent directory"
			}
			return s.where() + "can't create", proc.Strerror(e)
		}
		if e == syscall.ENOENT {
			return s.where() + "can't open", "no such file"
		}
		return s.where() + "can't open", proc.Strerror(e)
	case Dash:
		if create {
			if e == syscall.ENOENT {
				return s.where() + "cannot create", "Directory nonexistent"
			}
			return s.where() + "cannot create", proc.Strerror(e)
		}
		if e == syscall.ENOENT {
			return s.where() + "cannot open", "No such file"
		}
		return s.where() + "cannot open", proc.Strerror(e)
	}
	return strings.TrimSuffix(s.where(), " "), proc.Strerror(e)
}

// syntaxError renders a parse error in the dialect's words.
func (s *shell) syntaxError(err error) string {
	text := err.Error()
	if pe, ok := err.(syntax.ParseError); ok {
		text = pe.Text
		s.line.Store(int64(pe.Pos.Line()))
	}
	unterminated := strings.Contains(text, "without closing quote") || strings.Contains(text, "reached EOF without")
	switch s.d {
	case Ash:
		if unterminated {
			return s.arg0 + ": syntax error: unterminated quoted string"
		}
		return s.arg0 + ": syntax error: " + text
	case Dash:
		if unterminated {
			return s.where() + "Syntax error: Unterminated quoted string"
		}
		return s.where() + "Syntax error: " + text
	}
	if unterminated {
		return s.arg0 + ": -c: line " + strconv.Itoa(max(1, int(s.line.Load()))) + ": unexpected EOF while looking for matching `''"
	}
	return s.arg0 + ": -c: line " + strconv.Itoa(max(1, int(s.line.Load()))) + ": syntax error: " + text
}

// quoteValue quotes a value for `set` output: ash and dash always single-quote, bash only
// when the value needs it.
func (s *shell) quoteValue(v string) string {
	if s.d == Bash {
		if v != "" && !strings.ContainsAny(v, " \t\n'\"\\|&;()<>!{}*[?]^$`") && v[0] != '~' && v[0] != '#' {
			return v
		}
		if strings.ContainsAny(v, "\t\n\r") {
			r := strings.NewReplacer("\\", `\\`, "'", `\'`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
			return "$'" + r.Replace(v) + "'"
		}
	}
	return "'" + strings.ReplaceAll(v, "'", `'"'"'`) + "'"
}

func (s *shell) errorf(format string, args ...any) {
	fmt.Fprintf(s.p.Stderr, format+"\n", args...)
}

// defaultPS1 is the prompt each shell shows root when nothing sets PS1: busybox's fancy
// prompt, dash's plain one, Debian's /etc/bash.bashrc.
func (d Dialect) defaultPS1() string {
	switch d {
	case Dash:
		return "# "
	case Bash:
		return `\u@\h:\w\$ `
	}
	return `\w \$ `
}
