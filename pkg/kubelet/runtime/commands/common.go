package commands

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// Table returns the programs of this package by applet name. A fresh map each call: callers
// may add their own (the shell and servers) without sharing state.
func Table() map[string]proc.Func {
	return map[string]proc.Func{
		"basename": basename, "cat": cat, "chmod": chmod, "cp": cp, "curl": curl, "cut": cut,
		"date": date, "dirname": dirname, "echo": echo, "env": env, "false": falseCmd,
		"find": find, "getent": getent, "grep": grep, "egrep": grep, "fgrep": grep,
		"head": head, "hostname": hostname, "id": id, "ip": ip, "kill": kill, "ln": ln,
		"ls": ls, "mkdir": mkdir, "mv": mv, "nproc": nproc, "nslookup": nslookup,
		"printenv": printenv, "printf": printf, "ps": ps, "pwd": pwd, "readlink": readlink,
		"rm": rm, "rmdir": rmdir, "sed": sed, "seq": seq, "sleep": sleep, "sort": sortCmd,
		"stat": stat, "tail": tail, "tar": tarCmd, "tee": tee, "test": test, "[": test,
		"timeout": timeout, "touch": touch, "tr": tr, "true": trueCmd, "uname": uname,
		"uniq": uniq, "wc": wc, "wget": wget, "whoami": whoami, "xargs": xargs, "yes": yes,
		"nohup": nohup, "which": which, "uptime": uptime, "free": free,
		"realpath": realpath, "sha256sum": sha256sum, "md5sum": md5sum, "base64": base64Cmd,
		"tac": tac, "rev": rev, "nl": nl, "apk": apk, "apt-get": aptGet, "apt": aptGet,
		"unsupported": unsupported, "ld-musl": unsupported,
		"dig": dig, "nc": ncUserland, "nc.openbsd": ncOpenBSD, "ping": pingUserland, "ping6": ping6,
		"iputils-ping": iputilsPing,
	}
}

// name is the program's name as error messages print it: argv[0]'s base name.
func name(p *proc.Proc) string {
	n := p.Args[0]
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	return n
}

func gnu(p *proc.Proc) bool { return p.Sys.Userland() == proc.GNU }

// errorf prints "prog: message" on stderr.
func errorf(p *proc.Proc, format string, args ...any) {
	fmt.Fprintf(p.Stderr, "%s: %s\n", name(p), fmt.Sprintf(format, args...))
}

// quote is how GNU tools quote a file name in messages ('name'); busybox tools print the
// bare name in most messages, so callers choose.
func quote(s string) string {
	if strings.Contains(s, "'") {
		return "\"" + s + "\""
	}
	return "'" + s + "'"
}

// opts is the result of getopt: single-letter flags, their values, and the operands. val
// and long keep the last value of an option given more than once, vals and longs all of
// them in order.
type opts struct {
	set   map[byte]int
	val   map[byte]string
	vals  map[byte][]string
	long  map[string]string
	longs map[string][]string
	args  []string
}

func (o *opts) has(c byte) bool { return o.set[c] > 0 }

// getopt parses short options as POSIX getopt does, permuting operands as GNU getopt does
// ("ls /tmp -l"). spec lists the letters, a letter followed by ':' takes a value. Long
// options named in longs ("all", "lines=") are accepted as --name or --name=value; any other
// long option is an error. A lone "-" is an operand; "--" ends the options.
func getopt(p *proc.Proc, args []string, spec string, longs ...string) (*opts, bool) {
	o := &opts{set: map[byte]int{}, val: map[byte]string{}, vals: map[byte][]string{}, long: map[string]string{},
		longs: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.args = append(o.args, args[i+1:]...)
			return o, true
		case strings.HasPrefix(a, "--"):
			n, v, hasV := strings.Cut(a[2:], "=")
			ok := false
			for _, l := range longs {
				ln, takes := strings.CutSuffix(l, "=")
				if ln != n {
					continue
				}
				ok = true
				if takes && !hasV {
					if i+1 >= len(args) {
						errorf(p, "option '--%s' requires an argument", n)
						return nil, false
					}
					i++
					v = args[i]
				}
				o.long[n] = v
				if takes || hasV {
					o.longs[n] = append(o.longs[n], v)
				}
			}
			if !ok {
				errorf(p, "unrecognized option '%s'", a)
				return nil, false
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				k := strings.IndexByte(spec, c)
				if k < 0 || c == ':' {
					if gnu(p) {
						errorf(p, "invalid option -- '%c'", c)
					} else {
						errorf(p, "unrecognized option: %c", c)
					}
					return nil, false
				}
				o.set[c]++
				if k+1 < len(spec) && spec[k+1] == ':' {
					switch {
					case j+1 < len(a):
						o.val[c] = a[j+1:]
						o.vals[c] = append(o.vals[c], o.val[c])
					case i+1 < len(args):
						i++
						o.val[c] = args[i]
						o.vals[c] = append(o.vals[c], o.val[c])
					default:
						if gnu(p) {
							errorf(p, "option requires an argument -- '%c'", c)
						} else {
							errorf(p, "option requires an argument: %c", c)
						}
						return nil, false
					}
					break
				}
			}
		default:
			o.args = append(o.args, a)
		}
	}
	return o, true
}

// usage reports bad usage the way the userland does; GNU tools point at --help.
func usage(p *proc.Proc, code int) int {
	if gnu(p) {
		fmt.Fprintf(p.Stderr, "Try '%s --help' for more information.\n", name(p))
	}
	return code
}

// lines calls fn for each line of r (without its newline); a final line without a newline is
// still delivered. It stops early when fn returns false.
func lines(r io.Reader, fn func(line string) bool) error {
	br := bufio.NewReader(r)
	for {
		s, err := br.ReadString('\n')
		if len(s) > 0 {
			if !fn(strings.TrimSuffix(s, "\n")) {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// inputs opens each operand (stdin for none or "-") and calls fn; a file that cannot be
// opened is reported as the tool reports it and makes the status 1.
func inputs(p *proc.Proc, files []string, openErr func(file string, err error), fn func(file string, r io.Reader) error) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, f := range files {
		if f == "-" {
			if err := fn(f, p.Stdin); err != nil {
				return 1
			}
			continue
		}
		h, err := p.Open(f)
		if err != nil {
			openErr(f, err)
			status = 1
			continue
		}
		if st, serr := h.Stat(); serr == nil && st.IsDir() {
			h.Close()
			openErr(f, errIsDir)
			status = 1
			continue
		}
		err = fn(f, h)
		h.Close()
		if err != nil {
			if errIsWrite(err) {
				return 1
			}
			openErr(f, err)
			status = 1
		}
	}
	return status
}

// writeErr marks a failure to write the output, which ends a tool at once.
type writeErr struct{ err error }

func (w writeErr) Error() string { return w.err.Error() }

func errIsWrite(err error) bool {
	_, ok := err.(writeErr)
	return ok
}

// out is a buffered stdout that remembers its first error.
type out struct {
	w   *bufio.Writer
	err error
}

func newOut(w io.Writer) *out { return &out{w: bufio.NewWriter(w)} }

func (o *out) print(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}

func (o *out) printf(format string, args ...any) { o.print(fmt.Sprintf(format, args...)) }

func (o *out) flush() error {
	if o.err == nil {
		o.err = o.w.Flush()
	}
	return o.err
}

// done flushes and turns a write failure into status 1.
func (o *out) done(status int) int {
	if o.flush() != nil && status == 0 {
		return 1
	}
	return status
}
