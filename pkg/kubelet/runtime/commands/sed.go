package commands

import (
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// sed supports what one-liners use: addresses (N, $, /re/, ranges, !), and the commands
// s///[gpNI], d, p, q, =, a, i and c.
type sedAddr struct {
	line int // 0: none; -1: last line
	re   *regexp.Regexp
}

type sedCmd struct {
	a1, a2  sedAddr
	neg     bool
	op      byte
	re      *regexp.Regexp
	repl    string
	global  bool
	nth     int
	print   bool
	text    string
	inRange bool
}

var errSed = errors.New("sed: bad script")

func parseSed(script string, ere bool) ([]*sedCmd, error) {
	var cmds []*sedCmd
	s := script
	readDelim := func(d byte) (string, bool) {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				if s[i+1] == d {
					b.WriteByte(d)
				} else {
					b.WriteByte('\\')
					b.WriteByte(s[i+1])
				}
				i++
				continue
			}
			if s[i] == d {
				s = s[i+1:]
				return b.String(), true
			}
			b.WriteByte(s[i])
		}
		return "", false
	}
	addr := func() (sedAddr, error) {
		switch {
		case s == "":
			return sedAddr{}, nil
		case s[0] == '$':
			s = s[1:]
			return sedAddr{line: -1}, nil
		case s[0] >= '0' && s[0] <= '9':
			i := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			n, _ := strconv.Atoi(s[:i])
			s = s[i:]
			return sedAddr{line: n}, nil
		case s[0] == '/':
			s = s[1:]
			pat, ok := readDelim('/')
			if !ok {
				return sedAddr{}, errSed
			}
			re, err := compileRE(pat, ere, false, false, false, false)
			if err != nil {
				return sedAddr{}, err
			}
			return sedAddr{re: re}, nil
		}
		return sedAddr{}, nil
	}
	for {
		s = strings.TrimLeft(s, " \t\n;")
		if s == "" {
			return cmds, nil
		}
		c := &sedCmd{}
		var err error
		if c.a1, err = addr(); err != nil {
			return nil, err
		}
		if strings.HasPrefix(s, ",") {
			s = s[1:]
			if c.a2, err = addr(); err != nil {
				return nil, err
			}
		}
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "!") {
			c.neg = true
			s = strings.TrimLeft(s[1:], " ")
		}
		if s == "" {
			return nil, errSed
		}
		c.op = s[0]
		s = s[1:]
		switch c.op {
		case 'd', 'p', 'q', '=':
		case 'a', 'i', 'c':
			s = strings.TrimPrefix(strings.TrimLeft(s, " "), "\\")
			s = strings.TrimPrefix(s, "\n")
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				end = len(s)
			}
			c.text, s = unescape(s[:end]), s[end:]
		case 's':
			if s == "" {
				return nil, errSed
			}
			d := s[0]
			s = s[1:]
			pat, ok := readDelim(d)
			if !ok {
				return nil, errSed
			}
			repl, ok := readDelim(d)
			if !ok {
				return nil, errSed
			}
			icase := false
			for s != "" && strings.IndexByte("gpIi0123456789", s[0]) >= 0 {
				switch f := s[0]; {
				case f == 'g':
					c.global = true
				case f == 'p':
					c.print = true
				case f == 'I' || f == 'i':
					icase = true
				default:
					c.nth = c.nth*10 + int(f-'0')
				}
				s = s[1:]
			}
			if c.re, err = compileRE(pat, ere, false, icase, false, false); err != nil {
				return nil, err
			}
			c.repl = repl
		default:
			return nil, errSed
		}
		cmds = append(cmds, c)
	}
}

func (a sedAddr) match(n int, last bool, line string) bool {
	switch {
	case a.re != nil:
		return a.re.MatchString(line)
	case a.line == -1:
		return last
	}
	return a.line == n
}

func (c *sedCmd) selects(n int, last bool, line string) bool {
	var hit bool
	switch {
	case c.a1 == (sedAddr{}):
		hit = true
	case c.a2 == (sedAddr{}):
		hit = c.a1.match(n, last, line)
	case c.inRange:
		hit = true
		if c.a2.match(n, last, line) || (c.a2.re == nil && c.a2.line > 0 && n >= c.a2.line) {
			c.inRange = false
		}
	case c.a1.match(n, last, line):
		hit = true
		c.inRange = !(c.a2.re == nil && c.a2.line > 0 && c.a2.line <= n)
	}
	return hit != c.neg
}

// expand writes sed's replacement for one match: & is the match, \1..\9 its groups.
func sedExpand(repl string, src string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		switch c := repl[i]; {
		case c == '&':
			b.WriteString(src[m[0]:m[1]])
		case c == '\\' && i+1 < len(repl):
			i++
			n := repl[i]
			switch {
			case n >= '0' && n <= '9':
				if k := int(n - '0'); 2*k+1 < len(m) && m[2*k] >= 0 {
					b.WriteString(src[m[2*k]:m[2*k+1]])
				}
			case n == 'n':
				b.WriteByte('\n')
			case n == 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(n)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (c *sedCmd) substitute(line string) (string, bool) {
	ms := c.re.FindAllStringSubmatchIndex(line, -1)
	if len(ms) == 0 {
		return line, false
	}
	var b strings.Builder
	prev, done := 0, false
	for k, m := range ms {
		if done || (c.nth > 0 && k+1 != c.nth) {
			continue
		}
		b.WriteString(line[prev:m[0]])
		b.WriteString(sedExpand(c.repl, line, m))
		prev = m[1]
		if !c.global {
			done = true
		}
	}
	if prev == 0 && c.nth > len(ms) {
		return line, false
	}
	b.WriteString(line[prev:])
	return b.String(), true
}

func sed(p *proc.Proc) int {
	args := make([]string, 0, len(p.Args))
	for _, a := range p.Args[1:] {
		if strings.HasPrefix(a, "-i") && !strings.HasPrefix(a, "--") {
			a = "-i" // -i.bak: the backup suffix is not kept
		}
		args = append(args, a)
	}
	o, ok := getopt(p, args, "ne:iErszu", "in-place=", "quiet", "silent", "expression=", "regexp-extended")
	if !ok {
		return usage(p, 1)
	}
	var scripts []string
	if e, ok := o.val['e']; ok {
		scripts = append(scripts, e)
	}
	if e, ok := o.long["expression"]; ok {
		scripts = append(scripts, e)
	}
	files := o.args
	if len(scripts) == 0 {
		if len(files) == 0 {
			if gnu(p) {
				p.Stderr.Write([]byte("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n"))
			} else {
				errorf(p, "no script specified")
			}
			return 1
		}
		scripts, files = []string{files[0]}, files[1:]
	}
	cmds, err := parseSed(strings.Join(scripts, "\n"), o.has('E') || o.has('r'))
	if err != nil {
		if gnu(p) {
			errorf(p, "-e expression #1, char %d: unterminated `s' command", len(scripts[0]))
		} else {
			errorf(p, "unmatched '/'")
		}
		return 1
	}
	quiet := o.has('n') || hasLong(o, "quiet") || hasLong(o, "silent")
	inPlace := o.has('i') || hasLong(o, "in-place")
	run := func(in []string, w *out) bool {
		for n, line := range in {
			last := n == len(in)-1
			deleted, quit := false, false
			var after []string
			for _, c := range cmds {
				if !c.selects(n+1, last, line) {
					continue
				}
				switch c.op {
				case 'd':
					deleted = true
				case 'p':
					w.print(line + "\n")
				case '=':
					w.printf("%d\n", n+1)
				case 'q':
					quit = true
				case 'a':
					after = append(after, c.text)
				case 'i':
					w.print(c.text + "\n")
				case 'c':
					w.print(c.text + "\n")
					deleted = true
				case 's':
					var did bool
					line, did = c.substitute(line)
					if did && c.print {
						w.print(line + "\n")
					}
				}
				if deleted || quit {
					break
				}
			}
			if !deleted && !quiet {
				w.print(line + "\n")
			}
			for _, a := range after {
				w.print(a + "\n")
			}
			if quit {
				return false
			}
		}
		return true
	}
	if !inPlace {
		ls, status := readAllLines(p, files, openFail(p, ""))
		w := newOut(p.Stdout)
		run(ls, w)
		return w.done(status)
	}
	status := 0
	for _, f := range files {
		ls, st := readAllLines(p, []string{f}, func(f string, err error) {
			errorf(p, "can't read %s: %s", f, proc.Strerror(err))
		})
		if st != 0 {
			status = st
			continue
		}
		var b strings.Builder
		w := newOut(&b)
		run(ls, w)
		w.flush()
		h, err := p.OpenFile(f, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			errorf(p, "couldn't open file %s: %s", f, proc.Strerror(err))
			status = 4
			continue
		}
		_, err = io.WriteString(h, b.String())
		h.Close()
		if err != nil {
			status = 4
		}
	}
	return status
}
