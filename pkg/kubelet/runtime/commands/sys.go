package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

func env(p *proc.Proc) int {
	args := p.Args[1:]
	vars := append([]string(nil), p.Env...)
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-i" || a == "-" || a == "--ignore-environment":
			vars = nil
		case a == "-u" && len(args) > 1:
			vars = unsetVar(vars, args[1])
			args = args[1:]
		case strings.HasPrefix(a, "-u") && len(a) > 2:
			vars = unsetVar(vars, a[2:])
		case a == "-0" || a == "--null":
		case a == "--":
			args = args[1:]
			goto cmd
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if gnu(p) {
				errorf(p, "invalid option -- '%s'", strings.TrimLeft(a, "-")[:1])
			} else {
				errorf(p, "unrecognized option: %s", strings.TrimLeft(a, "-")[:1])
			}
			return usage(p, 125)
		default:
			goto cmd
		}
		args = args[1:]
	}
cmd:
	for len(args) > 0 && strings.Contains(args[0], "=") && !strings.HasPrefix(args[0], "=") {
		k, _, _ := strings.Cut(args[0], "=")
		vars = append(unsetVar(vars, k), args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		w := newOut(p.Stdout)
		for _, v := range vars {
			w.print(v + "\n")
		}
		return w.done(0)
	}
	child := *p
	child.Args, child.Env = args, vars
	code, err := p.Sys.Exec(&child)
	if err != nil {
		var ee *proc.ExecError
		if errors.As(err, &ee) {
			if gnu(p) {
				errorf(p, "%s: %s", quote(args[0]), proc.Strerror(ee.Err))
			} else {
				errorf(p, "can't execute '%s': %s", args[0], proc.Strerror(ee.Err))
			}
			if ee.Err == syscall.ENOENT {
				return 127
			}
			return 126
		}
		return 126
	}
	return code
}

func unsetVar(vars []string, name string) []string {
	out := vars[:0:0]
	for _, v := range vars {
		if k, _, _ := strings.Cut(v, "="); k != name {
			out = append(out, v)
		}
	}
	return out
}

func printenv(p *proc.Proc) int {
	w := newOut(p.Stdout)
	if len(p.Args) < 2 {
		for _, v := range p.Env {
			w.print(v + "\n")
		}
		return w.done(0)
	}
	status := 0
	for _, n := range p.Args[1:] {
		if v, ok := proc.LookupEnv(p.Env, n); ok {
			w.print(v + "\n")
		} else {
			status = 1
		}
	}
	return w.done(status)
}

// hostsEntry is one line of /etc/hosts.
type hostsEntry struct {
	addr  netip.Addr
	names []string
}

func readHosts(p *proc.Proc) []hostsEntry {
	b, err := p.FS().ReadFile("/etc/hosts")
	if err != nil {
		return nil
	}
	var out []hostsEntry
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		out = append(out, hostsEntry{addr: a, names: f[1:]})
	}
	return out
}

func hostname(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "ifsdFAIy", "ip-address", "fqdn", "short", "domain", "all-ip-addresses")
	if !ok {
		return usage(p, 1)
	}
	h := p.Sys.Hostname()
	if len(o.args) > 0 {
		if gnu(p) {
			errorf(p, "you must be root to change the host name")
		} else {
			errorf(p, "sethostname: %s", proc.Strerror(syscall.EPERM))
		}
		return 1
	}
	short, _, _ := strings.Cut(h, ".")
	switch {
	case o.has('i') || hasLong(o, "ip-address"):
		var addrs []string
		for _, e := range readHosts(p) {
			for _, n := range e.names {
				if n == h && (gnu(p) || e.addr.Is4()) {
					addrs = append(addrs, e.addr.String())
					break
				}
			}
		}
		if len(addrs) == 0 {
			if gnu(p) {
				errorf(p, "Name or service not known")
			} else {
				errorf(p, "%s: %s", h, "Unknown host")
			}
			return 1
		}
		if gnu(p) {
			fmt.Fprintln(p.Stdout, strings.Join(addrs, " "))
		} else {
			fmt.Fprintln(p.Stdout, strings.Join(addrs, " ")+" ")
		}
	case o.has('I') || hasLong(o, "all-ip-addresses"):
		var addrs []string
		for _, pre := range p.Sys.PodIPs() {
			addrs = append(addrs, pre.Addr().String())
		}
		fmt.Fprintln(p.Stdout, strings.Join(addrs, " ")+" ")
	case o.has('f') || hasLong(o, "fqdn"):
		fqdn := h
		for _, e := range readHosts(p) {
			if len(e.names) > 1 && e.names[len(e.names)-1] == h {
				fqdn = e.names[0]
				break
			}
		}
		fmt.Fprintln(p.Stdout, fqdn)
	case o.has('d') || hasLong(o, "domain"):
		for _, e := range readHosts(p) {
			if len(e.names) > 1 && e.names[len(e.names)-1] == h {
				if _, d, ok := strings.Cut(e.names[0], "."); ok {
					fmt.Fprintln(p.Stdout, d)
					return 0
				}
			}
		}
		fmt.Fprintln(p.Stdout)
	case o.has('s') || hasLong(o, "short"):
		fmt.Fprintln(p.Stdout, short)
	default:
		fmt.Fprintln(p.Stdout, h)
	}
	return 0
}

type account struct {
	name string
	uid  int
	gid  int
}

type group struct {
	name    string
	gid     int
	members []string
}

func readAccounts(p *proc.Proc) ([]account, []group) {
	var accts []account
	if b, err := p.FS().ReadFile("/etc/passwd"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Split(l, ":")
			if len(f) < 4 {
				continue
			}
			uid, e1 := strconv.Atoi(f[2])
			gid, e2 := strconv.Atoi(f[3])
			if e1 == nil && e2 == nil {
				accts = append(accts, account{name: f[0], uid: uid, gid: gid})
			}
		}
	}
	var groups []group
	if b, err := p.FS().ReadFile("/etc/group"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Split(l, ":")
			if len(f) < 3 {
				continue
			}
			gid, err := strconv.Atoi(f[2])
			if err != nil {
				continue
			}
			g := group{name: f[0], gid: gid}
			if len(f) > 3 && f[3] != "" {
				g.members = strings.Split(f[3], ",")
			}
			groups = append(groups, g)
		}
	}
	return accts, groups
}

func id(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "ugGnr")
	if !ok {
		return usage(p, 1)
	}
	accts, groups := readAccounts(p)
	user := "root"
	if len(o.args) > 0 {
		user = o.args[0]
	}
	var a *account
	for i := range accts {
		if accts[i].name == user {
			a = &accts[i]
		}
	}
	if a == nil {
		if user != "root" {
			if gnu(p) {
				errorf(p, "%s: no such user", quote(user))
			} else {
				errorf(p, "unknown user %s", user)
			}
			return 1
		}
		a = &account{name: "root"}
	}
	gname := func(gid int) string {
		for _, g := range groups {
			if g.gid == gid {
				return g.name
			}
		}
		return strconv.Itoa(gid)
	}
	gids := []int{a.gid}
	for _, g := range groups {
		for _, m := range g.members {
			if m == a.name && g.gid != a.gid {
				gids = append(gids, g.gid)
			}
		}
	}
	switch {
	case o.has('u') && o.has('n'):
		fmt.Fprintln(p.Stdout, a.name)
	case o.has('u'):
		fmt.Fprintln(p.Stdout, a.uid)
	case o.has('g') && o.has('n'):
		fmt.Fprintln(p.Stdout, gname(a.gid))
	case o.has('g'):
		fmt.Fprintln(p.Stdout, a.gid)
	case o.has('G'):
		var s []string
		for _, g := range gids {
			if o.has('n') {
				s = append(s, gname(g))
			} else {
				s = append(s, strconv.Itoa(g))
			}
		}
		fmt.Fprintln(p.Stdout, strings.Join(s, " "))
	default:
		var s []string
		for _, g := range gids {
			s = append(s, fmt.Sprintf("%d(%s)", g, gname(g)))
		}
		fmt.Fprintf(p.Stdout, "uid=%d(%s) gid=%d(%s) groups=%s\n", a.uid, a.name, a.gid, gname(a.gid), strings.Join(s, ","))
	}
	return 0
}

func whoami(p *proc.Proc) int {
	fmt.Fprintln(p.Stdout, "root")
	return 0
}

func uname(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "asnrvmpio", "all", "kernel-name", "nodename", "kernel-release", "machine")
	if !ok {
		return usage(p, 1)
	}
	u := p.Sys.Uname()
	all := o.has('a') || hasLong(o, "all")
	var f []string
	if all || o.has('s') || hasLong(o, "kernel-name") || len(o.set) == 0 && len(o.long) == 0 {
		f = append(f, u.Sysname)
	}
	if all || o.has('n') || hasLong(o, "nodename") {
		f = append(f, p.Sys.Hostname())
	}
	if all || o.has('r') || hasLong(o, "kernel-release") {
		f = append(f, u.Release)
	}
	if all || o.has('v') {
		f = append(f, u.Version)
	}
	if all || o.has('m') || hasLong(o, "machine") {
		f = append(f, u.Machine)
	}
	if (all && !gnu(p)) || o.has('p') {
		f = append(f, map[bool]string{true: "unknown", false: u.Machine}[gnu(p) && !all])
	}
	if o.has('i') {
		f = append(f, "unknown")
	}
	if all || o.has('o') {
		f = append(f, "GNU/Linux")
	}
	fmt.Fprintln(p.Stdout, strings.Join(f, " "))
	return 0
}

func date(p *proc.Proc) int {
	args := p.Args[1:]
	t := time.Now().UTC()
	format := "%a %b %e %H:%M:%S %Z %Y"
	for len(args) > 0 {
		a := args[0]
		switch {
		case strings.HasPrefix(a, "+"):
			format = a[1:]
		case a == "-u" || a == "--utc":
		case a == "-I" || a == "--iso-8601":
			format = "%Y-%m-%d"
		case strings.HasPrefix(a, "-I") || strings.HasPrefix(a, "--iso-8601="):
			format = "%Y-%m-%dT%H:%M:%S%:z"
		case a == "-R" || a == "--rfc-2822" || a == "--rfc-email":
			format = "%a, %d %b %Y %H:%M:%S %z"
		case (a == "-d" || a == "--date") && len(args) > 1:
			v := args[1]
			args = args[1:]
			if parsed, ok := parseDate(v); ok {
				t = parsed
			} else {
				errorf(p, "invalid date %s", quote(v))
				return 1
			}
		case strings.HasPrefix(a, "-s"):
			errorf(p, "cannot set date: %s", proc.Strerror(syscall.EPERM))
			return 1
		default:
			if gnu(p) {
				errorf(p, "invalid date %s", quote(a))
			} else {
				errorf(p, "invalid date '%s'", a)
			}
			return 1
		}
		args = args[1:]
	}
	fmt.Fprintln(p.Stdout, strftime(format, t))
	return 0
}

func parseDate(v string) (time.Time, bool) {
	if strings.HasPrefix(v, "@") {
		n, err := strconv.ParseInt(v[1:], 10, 64)
		return time.Unix(n, 0).UTC(), err == nil
	}
	for _, l := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02", time.RFC1123Z} {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// strftime formats t with the C library's conversion specifications.
func strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		c := f[i]
		if c == ':' && i+1 < len(f) && f[i+1] == 'z' {
			i++
			b.WriteString(t.Format("-07:00"))
			continue
		}
		switch c {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			fmt.Fprintf(&b, "%02d", (t.Hour()+11)%12+1)
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'N':
			fmt.Fprintf(&b, "%09d", t.Nanosecond())
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'u':
			b.WriteString(strconv.Itoa((int(t.Weekday())+6)%7 + 1))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'R':
			b.WriteString(t.Format("15:04"))
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'c':
			b.WriteString(strftime("%a %b %e %H:%M:%S %Y", t))
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(c)
		}
	}
	return b.String()
}

// parseDuration reads sleep's and timeout's intervals: a number with an optional s, m, h or d
// suffix, or "infinity".
func parseDuration(s string) (time.Duration, bool) {
	if s == "infinity" || s == "inf" {
		return math.MaxInt64, true
	}
	mult := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 24*time.Hour
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) {
		return 0, false
	}
	d := v * float64(mult)
	if d > math.MaxInt64 {
		return math.MaxInt64, true
	}
	return time.Duration(d), true
}

func sleep(p *proc.Proc) int {
	if len(p.Args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	var total time.Duration
	for _, a := range p.Args[1:] {
		d, ok := parseDuration(a)
		if !ok {
			if gnu(p) {
				errorf(p, "invalid time interval %s", quote(a))
				return usage(p, 1)
			}
			errorf(p, "invalid number '%s'", a)
			return 1
		}
		if total > math.MaxInt64-d {
			total = math.MaxInt64
		} else {
			total += d
		}
	}
	t := time.NewTimer(total)
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-p.Ctx.Done():
		return 1
	}
}

func kill(p *proc.Proc) int {
	args := p.Args[1:]
	sig := proc.SIGTERM
	if len(args) > 0 && (args[0] == "-l" || args[0] == "-L") {
		var names []string
		for s := proc.Signal(1); s <= 31; s++ {
			names = append(names, s.Name())
		}
		fmt.Fprintln(p.Stdout, strings.Join(names, " "))
		return 0
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--" {
		s := args[0][1:]
		args = args[1:]
		if (s == "s" || s == "n") && len(args) > 0 {
			s, args = args[0], args[1:]
		}
		v, ok := proc.ParseSignal(s)
		if !ok {
			if gnu(p) {
				errorf(p, "unknown signal: %s", s)
			} else {
				errorf(p, "bad signal name '%s'", s)
			}
			return 1
		}
		sig = v
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		if gnu(p) {
			errorf(p, "not enough arguments")
		} else {
			errorf(p, "usage: kill [-s SIG] PID")
		}
		return 1
	}
	status := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			if gnu(p) {
				errorf(p, "cannot find process %s", quote(a))
			} else {
				errorf(p, "invalid number '%s'", a)
			}
			status = 1
			continue
		}
		if err := p.Sys.Kill(pid, sig); err != nil {
			if gnu(p) {
				errorf(p, "(%d): %s", pid, proc.Strerror(err))
			} else {
				errorf(p, "can't kill pid %d: %s", pid, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

func ps(p *proc.Proc) int {
	procs := p.Sys.Processes()
	w := newOut(p.Stdout)
	mode := "default"
	for _, a := range p.Args[1:] {
		switch strings.TrimLeft(a, "-") {
		case "aux", "ax", "aux ", "auxww", "axu", "eux":
			mode = "aux"
		case "ef", "eF", "efww":
			mode = "ef"
		case "e", "A", "a", "x":
		case "o":
		}
	}
	if !gnu(p) {
		w.print("PID   USER     TIME  COMMAND\n")
		for _, pr := range procs {
			w.printf("%5d %-8s %5s %s\n", pr.PID, "root", "0:00", strings.Join(pr.Args, " "))
		}
		return w.done(0)
	}
	switch mode {
	case "aux":
		w.print("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
		for _, pr := range procs {
			stat := "S"
			if pr.PID == p.Sys.PID() {
				stat = "R"
			}
			if pr.PID == 1 {
				stat += "s"
			}
			w.printf("%-8s %7d %4.1f %4.1f %6d %5d %-8s %-4s %5s %6s %s\n", "root", pr.PID, 0.0, 0.0, 2484, 1024, "?", stat,
				pr.Start.UTC().Format("15:04"), "0:00", strings.Join(pr.Args, " "))
		}
	case "ef":
		w.print("UID          PID    PPID  C STIME TTY          TIME CMD\n")
		for _, pr := range procs {
			ppid := 0
			if pr.PID != 1 {
				ppid = 0
			}
			w.printf("%-8s %7d %7d %2d %s %-8s %8s %s\n", "root", pr.PID, ppid, 0, pr.Start.UTC().Format("15:04"), "?", "00:00:00", strings.Join(pr.Args, " "))
		}
	default:
		w.print("    PID TTY          TIME CMD\n")
		for _, pr := range procs {
			w.printf("%7d %-8s %8s %s\n", pr.PID, "?", "00:00:00", path.Base(pr.Args[0]))
		}
	}
	return w.done(0)
}

func nproc(p *proc.Proc) int {
	fmt.Fprintln(p.Stdout, max(1, p.Sys.Uname().CPUs))
	return 0
}

func uptime(p *proc.Proc) int {
	u := p.Sys.Uname()
	now := time.Now()
	up := now.Sub(u.Boot)
	if u.Boot.IsZero() || up < 0 {
		up = 0
	}
	days := int(up.Hours()) / 24
	hm := fmt.Sprintf("%2d:%02d", int(up.Hours())%24, int(up.Minutes())%60)
	var upText string
	switch {
	case days > 0:
		upText = fmt.Sprintf("%d days, %s", days, hm)
	case up < time.Hour:
		upText = fmt.Sprintf("%d min", int(up.Minutes()))
	default:
		upText = hm
	}
	fmt.Fprintf(p.Stdout, " %s up %s,  0 users,  load average: 0.00, 0.00, 0.00\n", now.UTC().Format("15:04:05"), upText)
	return 0
}

func free(p *proc.Proc) int {
	total := p.Sys.Uname().MemoryBytes / 1024
	used := total / 20
	if gnu(p) {
		fmt.Fprintf(p.Stdout, "               total        used        free      shared  buff/cache   available\n")
		fmt.Fprintf(p.Stdout, "Mem:     %11d %11d %11d %11d %11d %11d\n", total, used, total-used, 0, 0, total-used)
		fmt.Fprintf(p.Stdout, "Swap:    %11d %11d %11d\n", 0, 0, 0)
		return 0
	}
	fmt.Fprintf(p.Stdout, "              total        used        free      shared  buff/cache   available\n")
	fmt.Fprintf(p.Stdout, "Mem:    %11d %11d %11d %11d %11d %11d\n", total, used, total-used, 0, 0, total-used)
	fmt.Fprintf(p.Stdout, "Swap:   %11d %11d %11d\n", 0, 0, 0)
	return 0
}

// lookPath finds an executable in the PATH of env, as which(1) does.
func lookPath(p *proc.Proc, name string) (string, bool) {
	isExec := func(f string) bool {
		st, err := p.FS().Stat(f)
		return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
	}
	if strings.Contains(name, "/") {
		return name, isExec(p.Abs(name))
	}
	for _, d := range strings.Split(p.Getenv("PATH"), ":") {
		if d == "" {
			d = "."
		}
		f := path.Join(d, name)
		if isExec(p.Abs(f)) {
			return f, true
		}
	}
	return "", false
}

func which(p *proc.Proc) int {
	status := 0
	for _, n := range p.Args[1:] {
		if strings.HasPrefix(n, "-") {
			continue
		}
		if f, ok := lookPath(p, n); ok {
			fmt.Fprintln(p.Stdout, f)
		} else {
			status = 1
		}
	}
	return status
}

// runChild runs argv as a child of p with p's streams and reports start failures as
// tool: text, returning 127 or 126.
func runChild(p *proc.Proc, ctx context.Context, argv []string) int {
	child := *p
	child.Ctx, child.Args = ctx, argv
	code, err := p.Sys.Exec(&child)
	if err != nil {
		var ee *proc.ExecError
		if errors.As(err, &ee) {
			if gnu(p) {
				errorf(p, "failed to run command %s: %s", quote(argv[0]), proc.Strerror(ee.Err))
			} else {
				errorf(p, "can't execute '%s': %s", argv[0], proc.Strerror(ee.Err))
			}
			if ee.Err == syscall.ENOENT {
				return 127
			}
		}
		return 126
	}
	return code
}

func timeout(p *proc.Proc) int {
	args := p.Args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch a := args[0]; {
		case a == "-s" || a == "-k":
			if len(args) > 1 {
				args = args[1:]
			}
		case a == "--":
			args = args[1:]
			goto run
		}
		args = args[1:]
	}
run:
	if len(args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 125)
	}
	d, ok := parseDuration(args[0])
	if !ok {
		errorf(p, "invalid time interval %s", quote(args[0]))
		return usage(p, 125)
	}
	ctx, cancel := context.WithTimeout(p.Ctx, d)
	defer cancel()
	code := runChild(p, ctx, args[1:])
	if ctx.Err() == context.DeadlineExceeded && p.Ctx.Err() == nil {
		return 124
	}
	return code
}

func nohup(p *proc.Proc) int {
	if len(p.Args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 125)
	}
	return runChild(p, p.Ctx, p.Args[1:])
}

// xargsTokens splits xargs input on blanks and newlines, honouring quotes and backslashes.
func xargsTokens(s string, nul bool) []string {
	if nul {
		var out []string
		for _, t := range strings.Split(s, "\x00") {
			if t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	var out []string
	var cur strings.Builder
	in := false
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			q, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func xargs(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "n:I:0rtL:P:")
	if !ok {
		return usage(p, 1)
	}
	// options end at the command
	cmd := o.args
	data, err := readAll(p)
	if err != nil {
		return 1
	}
	toks := xargsTokens(data, o.has('0'))
	if len(cmd) == 0 {
		cmd = []string{"echo"}
	}
	if len(toks) == 0 && (o.has('r') || !gnu(p)) {
		return 0
	}
	var batches [][]string
	switch {
	case o.val['I'] != "":
		rep := o.val['I']
		for _, l := range strings.Split(strings.TrimRight(data, "\n"), "\n") {
			if l == "" {
				continue
			}
			var argv []string
			for _, c := range cmd {
				argv = append(argv, strings.ReplaceAll(c, rep, l))
			}
			batches = append(batches, argv)
		}
	default:
		n := len(toks)
		if v, ok := o.val['n']; ok {
			n, _ = strconv.Atoi(v)
		}
		if v, ok := o.val['L']; ok {
			n, _ = strconv.Atoi(v)
		}
		if n <= 0 {
			n = max(1, len(toks))
		}
		for i := 0; i < len(toks) || i == 0; i += n {
			end := min(i+n, len(toks))
			batches = append(batches, append(append([]string(nil), cmd...), toks[i:end]...))
		}
	}
	status := 0
	for _, argv := range batches {
		if p.Ctx.Err() != nil {
			return 1
		}
		if o.has('t') {
			fmt.Fprintln(p.Stderr, strings.Join(argv, " "))
		}
		child := *p
		child.Args = argv
		child.Stdin = strings.NewReader("")
		code, err := p.Sys.Exec(&child)
		if err != nil {
			var ee *proc.ExecError
			if errors.As(err, &ee) {
				errorf(p, "%s: %s", argv[0], proc.Strerror(ee.Err))
				if ee.Err == syscall.ENOENT {
					return 127
				}
			}
			return 126
		}
		if code == 255 {
			return 124
		}
		if code != 0 {
			status = 123
		}
	}
	return status
}

func readAll(p *proc.Proc) (string, error) {
	var b strings.Builder
	err := copyOut(&b, p.Stdin)
	return b.String(), err
}

// test is test(1) and [ as programs (the shells have their own built-ins).
func test(p *proc.Proc) int {
	args := p.Args[1:]
	if name(p) == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			errorf(p, "missing ']'")
			return 2
		}
		args = args[:len(args)-1]
	}
	t := &tester{p: p, args: args}
	v, ok := t.expr()
	if !ok || t.pos != len(t.args) {
		if t.msg == "" && t.pos < len(t.args) {
			t.msg = "syntax error: " + quote(t.args[t.pos]) + " unexpected"
			if !gnu(p) {
				t.msg = t.args[t.pos] + ": unknown operand"
			}
		}
		if t.msg != "" {
			errorf(p, "%s", t.msg)
		}
		return 2
	}
	if v {
		return 0
	}
	return 1
}

type tester struct {
	p    *proc.Proc
	args []string
	pos  int
	msg  string
}

func (t *tester) peek() (string, bool) {
	if t.pos < len(t.args) {
		return t.args[t.pos], true
	}
	return "", false
}

func (t *tester) expr() (bool, bool) {
	if len(t.args) == 0 {
		return false, true
	}
	v, ok := t.and()
	for ok {
		if a, _ := t.peek(); a != "-o" {
			break
		}
		t.pos++
		r, rok := t.and()
		v, ok = v || r, rok
	}
	return v, ok
}

func (t *tester) and() (bool, bool) {
	v, ok := t.not()
	for ok {
		if a, _ := t.peek(); a != "-a" {
			break
		}
		t.pos++
		r, rok := t.not()
		v, ok = v && r, rok
	}
	return v, ok
}

func (t *tester) not() (bool, bool) {
	if a, _ := t.peek(); a == "!" && t.pos+1 < len(t.args) {
		t.pos++
		v, ok := t.not()
		return !v, ok
	}
	return t.primary()
}

func (t *tester) primary() (bool, bool) {
	a, ok := t.peek()
	if !ok {
		t.msg = "argument expected"
		return false, false
	}
	if a == "(" {
		t.pos++
		v, ok := t.expr()
		if b, _ := t.peek(); !ok || b != ")" {
			t.msg = "')' expected"
			return false, false
		}
		t.pos++
		return v, true
	}
	// binary operators
	if t.pos+2 < len(t.args)+1 && t.pos+1 < len(t.args) {
		op := t.args[t.pos+1]
		if isBinaryTest(op) && t.pos+2 < len(t.args) {
			l, r := a, t.args[t.pos+2]
			t.pos += 3
			return t.binary(l, op, r)
		}
	}
	if len(a) == 2 && a[0] == '-' && t.pos+1 < len(t.args) && strings.IndexByte("efdrwxszhLnpSbcgukGOt", a[1]) >= 0 {
		arg := t.args[t.pos+1]
		t.pos += 2
		return t.unary(a[1], arg), true
	}
	t.pos++
	return a != "", true
}

func isBinaryTest(op string) bool {
	switch op {
	case "=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">", "-nt", "-ot", "-ef":
		return true
	}
	return false
}

func (t *tester) binary(l, op, r string) (bool, bool) {
	switch op {
	case "=", "==":
		return l == r, true
	case "!=":
		return l != r, true
	case "<":
		return l < r, true
	case ">":
		return l > r, true
	case "-nt", "-ot", "-ef":
		a, e1 := t.p.FS().Stat(t.p.Abs(l))
		b, e2 := t.p.FS().Stat(t.p.Abs(r))
		if e1 != nil || e2 != nil {
			return false, true
		}
		switch op {
		case "-nt":
			return a.ModTime().After(b.ModTime()), true
		case "-ot":
			return a.ModTime().Before(b.ModTime()), true
		}
		return t.p.Abs(l) == t.p.Abs(r), true
	}
	x, err1 := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
	y, err2 := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
	if err1 != nil || err2 != nil {
		bad := l
		if err1 == nil {
			bad = r
		}
		if gnu(t.p) {
			t.msg = "invalid integer " + quote(bad)
		} else {
			t.msg = "invalid number '" + bad + "'"
		}
		return false, false
	}
	switch op {
	case "-eq":
		return x == y, true
	case "-ne":
		return x != y, true
	case "-lt":
		return x < y, true
	case "-le":
		return x <= y, true
	case "-gt":
		return x > y, true
	}
	return x >= y, true
}

func (t *tester) unary(op byte, arg string) bool {
	switch op {
	case 'n':
		return arg != ""
	case 'z':
		return arg == ""
	case 't':
		return t.p.TTY
	}
	abs := t.p.Abs(arg)
	var st fs.FileInfo
	var err error
	if op == 'h' || op == 'L' {
		st, err = t.p.FS().Lstat(abs)
	} else {
		st, err = t.p.FS().Stat(abs)
	}
	if err != nil {
		return false
	}
	m := st.Mode()
	switch op {
	case 'e', 'r', 'w':
		return true
	case 'f':
		return m.IsRegular()
	case 'd':
		return m.IsDir()
	case 'x':
		return m&0o111 != 0
	case 's':
		return st.Size() > 0
	case 'h', 'L':
		return m&fs.ModeSymlink != 0
	case 'p':
		return m&fs.ModeNamedPipe != 0
	case 'S':
		return m&fs.ModeSocket != 0
	case 'c':
		return m&fs.ModeCharDevice != 0
	case 'b':
		return m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0
	case 'u':
		return m&fs.ModeSetuid != 0
	case 'g':
		return m&fs.ModeSetgid != 0
	case 'k':
		return m&fs.ModeSticky != 0
	case 'G', 'O':
		return true
	}
	return false
}
