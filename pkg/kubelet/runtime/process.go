package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/images"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// process is one program running in a container; it is the proc.Sys its program sees.
type process struct {
	c      *Container
	pid    int
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time

	mu      sync.Mutex
	argv    []string
	handled uint64
	sigCh   chan proc.Signal
	closers []io.Closer
}

var _ proc.Sys = (*process)(nil)

func (p *process) FS() *vfs.FS                   { return p.c.fs }
func (p *process) PID() int                      { return p.pid }
func (p *process) Hostname() string              { return p.c.sb.hostname }
func (p *process) Userland() proc.Userland       { return p.c.img.Userland }
func (p *process) Uname() proc.Uname             { return p.c.rt.uname }
func (p *process) PodIPs() []netip.Prefix        { return append([]netip.Prefix(nil), p.c.sb.ips...) }
func (p *process) Processes() []proc.ProcessInfo { return p.c.processes() }

func (p *process) Notify(sigs ...proc.Signal) <-chan proc.Signal {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sigCh == nil {
		p.sigCh = make(chan proc.Signal, 16)
	}
	for _, s := range sigs {
		if s > 0 && s < 64 && s != proc.SIGKILL && s != proc.SIGSTOP {
			p.handled |= 1 << uint(s)
		}
	}
	return p.sigCh
}

func (p *process) Exec(child *proc.Proc) (int, error) { return p.c.spawn(p, child, false) }

func (p *process) Replace(child *proc.Proc) (int, error) { return p.c.spawn(p, child, true) }

func (p *process) Kill(pid int, sig proc.Signal) error {
	target := p.c.lookup(pid)
	if target == nil {
		return syscall.ESRCH
	}
	target.signal(sig, false)
	return nil
}

func (p *process) Listen(port int, serve func(net.Conn)) (io.Closer, error) {
	l, err := p.c.sb.listen(p, port, serve)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.closers = append(p.closers, l)
	p.mu.Unlock()
	return l, nil
}

func (p *process) Dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error) {
	return p.c.sb.dial(ctx, addr)
}

// Ping answers from the pod itself (its addresses, loopback), and elsewhere through
// Options.Dialer when it is a Pinger; with none, an echo request to another address gets no
// reply before ctx ends.
func (p *process) Ping(ctx context.Context, to netip.Addr) error {
	to = to.Unmap()
	sb := p.c.sb
	if sb.local(to) {
		return ctx.Err()
	}
	if pg, ok := p.c.rt.opts.Dialer.(Pinger); ok {
		var from netip.Addr
		for _, pre := range sb.ips {
			if pre.Addr().Is4() == to.Is4() {
				from = pre.Addr()
				break
			}
		}
		return pg.Ping(ctx, from, to)
	}
	<-ctx.Done()
	return syscall.ETIMEDOUT
}

func (p *process) Exchange(ctx context.Context, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	if r := p.c.rt.opts.Resolver; r != nil {
		return r.Exchange(ctx, server, q)
	}
	return hostsReply(p.c.fs, q), nil
}

// hostsReply answers a query from the container's /etc/hosts, the stand-in for DNS until a
// Resolver is plugged in: A and AAAA records of the names it lists, NXDOMAIN for the rest.
func hostsReply(fs *vfs.FS, q *dns.Msg) *dns.Msg {
	r := new(dns.Msg)
	r.SetReply(q)
	if len(q.Question) != 1 {
		r.Rcode = dns.RcodeFormatError
		return r
	}
	qn := q.Question[0]
	name := strings.TrimSuffix(qn.Name, ".")
	found := false
	if b, err := fs.ReadFile("/etc/hosts"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(l, '#'); i >= 0 {
				l = l[:i]
			}
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			addr, err := netip.ParseAddr(f[0])
			if err != nil {
				continue
			}
			for _, n := range f[1:] {
				if !strings.EqualFold(n, name) {
					continue
				}
				found = true
				hdr := dns.RR_Header{Name: qn.Name, Rrtype: qn.Qtype, Class: dns.ClassINET}
				switch {
				case qn.Qtype == dns.TypeA && addr.Is4():
					r.Answer = append(r.Answer, &dns.A{Hdr: hdr, A: addr.AsSlice()})
				case qn.Qtype == dns.TypeAAAA && addr.Is6():
					r.Answer = append(r.Answer, &dns.AAAA{Hdr: hdr, AAAA: addr.AsSlice()})
				}
				break
			}
		}
	}
	if !found {
		r.Rcode = dns.RcodeNameError
	}
	return r
}

// signal delivers sig. Like the kernel, it drops a signal the program does not handle when
// it is sent to PID 1, unless it is SIGKILL from outside the container.
func (p *process) signal(sig proc.Signal, fromOutside bool) {
	if sig == 0 {
		return
	}
	if sig == proc.SIGKILL {
		if p.pid == 1 && !fromOutside {
			return
		}
		p.cancel(proc.Killed{Signal: sig})
		return
	}
	p.mu.Lock()
	handled := sig > 0 && sig < 64 && p.handled&(1<<uint(sig)) != 0
	ch := p.sigCh
	p.mu.Unlock()
	switch {
	case handled:
		select {
		case ch <- sig:
		default:
		}
	case p.pid == 1:
	case sig.Terminates():
		p.cancel(proc.Killed{Signal: sig})
	}
}

// exitStatus is the status of a process whose program returned code: 128+signal when it was
// killed.
func (p *process) exitStatus(code int) int {
	if k, ok := context.Cause(p.ctx).(proc.Killed); ok {
		return 128 + int(k.Signal)
	}
	return code & 0xff
}

func (p *process) finish() {
	p.mu.Lock()
	closers := p.closers
	p.closers = nil
	p.mu.Unlock()
	for _, c := range closers {
		c.Close()
	}
}

// defaultPath is containerd's PATH for an image that sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds argv[0] as execve with PATH search does.
func (c *Container) lookPath(name string, env []string, dir string) (string, *proc.ExecError) {
	isExec := func(f string) (bool, syscall.Errno) {
		st, err := c.fs.Stat(f)
		if err != nil {
			return false, proc.Errno(err)
		}
		if st.IsDir() || !st.Mode().IsRegular() {
			return false, syscall.EACCES
		}
		if st.Mode()&0o111 == 0 {
			return false, syscall.EACCES
		}
		return true, 0
	}
	if name == "" {
		return "", &proc.ExecError{Name: name, Err: syscall.ENOENT}
	}
	if strings.Contains(name, "/") {
		f := name
		if !path.IsAbs(f) {
			f = path.Join(dir, f)
		}
		if ok, e := isExec(f); !ok {
			return "", &proc.ExecError{Name: name, Err: e}
		}
		return f, nil
	}
	pathEnv, ok := proc.LookupEnv(env, "PATH")
	if !ok {
		pathEnv = defaultPath
	}
	denied := false
	for _, d := range strings.Split(pathEnv, ":") {
		if d == "" {
			d = "."
		}
		f := path.Join(d, name)
		if !path.IsAbs(f) {
			f = path.Join(dir, f)
		}
		ok, e := isExec(f)
		if ok {
			return f, nil
		}
		if e == syscall.EACCES {
			denied = true
		}
	}
	if denied {
		return "", &proc.ExecError{Name: name, Err: syscall.EACCES, InPath: true}
	}
	return "", &proc.ExecError{Name: name, Err: syscall.ENOENT, InPath: true}
}

// program finds what argv runs: the Go program an executable names, the interpreter of a
// #! script, or busybox's applet for the name it was called by.
func (c *Container) program(argv []string, env []string, dir string, depth int) (proc.Func, []string, *proc.ExecError) {
	file, xerr := c.lookPath(argv[0], env, dir)
	if xerr != nil {
		return nil, nil, xerr
	}
	h, err := c.fs.Open(file)
	if err != nil {
		return nil, nil, &proc.ExecError{Name: argv[0], Err: proc.Errno(err)}
	}
	head := make([]byte, 256)
	n, _ := io.ReadFull(h, head)
	h.Close()
	head = head[:n]
	if name, ok := images.ProgramName(head); ok {
		if name == "busybox" {
			return c.busybox(argv)
		}
		fn := c.rt.programs[name]
		if fn == nil {
			fn = c.rt.programs["unsupported"]
		}
		return fn, argv, nil
	}
	if bytes.HasPrefix(head, []byte("#!")) && depth < 4 {
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			return nil, nil, &proc.ExecError{Name: argv[0], Err: syscall.ENOEXEC}
		}
		interp := []string{fields[0]}
		if len(fields) > 1 {
			interp = append(interp, strings.Join(fields[1:], " "))
		}
		next := append(append(interp, file), argv[1:]...)
		fn, args, xerr := c.program(next, env, dir, depth+1)
		if xerr != nil {
			return nil, nil, &proc.ExecError{Name: argv[0], Err: syscall.ENOENT}
		}
		return fn, args, nil
	}
	return nil, nil, &proc.ExecError{Name: argv[0], Err: syscall.ENOEXEC}
}

func (c *Container) busybox(argv []string) (proc.Func, []string, *proc.ExecError) {
	name := basename(argv[0])
	if name == "busybox" {
		if len(argv) < 2 {
			return func(p *proc.Proc) int {
				fmt.Fprint(p.Stdout, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: function [arguments]...\n")
				return 0
			}, argv, nil
		}
		argv = argv[1:]
		name = basename(argv[0])
	}
	applet, ok := images.BusyboxApplet(name)
	if !ok {
		return func(p *proc.Proc) int {
			fmt.Fprintf(p.Stderr, "%s: applet not found\n", name)
			return 127
		}, argv, nil
	}
	fn := c.rt.programs[applet]
	if fn == nil {
		fn = c.rt.programs["unsupported"]
	}
	return fn, argv, nil
}

// spawn runs child.Args as a new process (or, with replace, as the program of parent, as
// execve does) and waits for it.
func (c *Container) spawn(parent *process, child *proc.Proc, replace bool) (int, error) {
	if len(child.Args) == 0 {
		return 0, &proc.ExecError{Err: syscall.ENOENT}
	}
	fn, argv, xerr := c.program(child.Args, child.Env, child.Dir, 0)
	if xerr != nil {
		return 0, xerr
	}
	if replace && parent != nil {
		parent.mu.Lock()
		parent.argv = argv
		parent.handled = 0
		parent.sigCh = nil
		parent.mu.Unlock()
		return c.run(parent, fn, child, argv), nil
	}
	ctx := child.Ctx
	if ctx == nil {
		ctx = c.ctx
	}
	p := c.newProcess(ctx, argv)
	defer c.remove(p)
	return c.run(p, fn, child, argv), nil
}

func (c *Container) newProcess(parent context.Context, argv []string) *process {
	ctx, cancel := context.WithCancelCause(parent)
	c.mu.Lock()
	c.nextPID++
	p := &process{c: c, pid: c.nextPID, ctx: ctx, cancel: cancel, start: time.Now(), argv: argv}
	c.procs[p.pid] = p
	c.mu.Unlock()
	// a program that handed us an unrelated context still dies with its container
	if parent != c.ctx {
		stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
		context.AfterFunc(ctx, func() { stop() })
	}
	return p
}

func (c *Container) remove(p *process) {
	p.finish()
	p.cancel(context.Canceled)
	c.mu.Lock()
	delete(c.procs, p.pid)
	c.mu.Unlock()
}

// run calls the program in the calling goroutine. A program that panics dies as a
// segfaulting process does (status 139) instead of taking fakecluster down.
func (c *Container) run(p *process, fn proc.Func, child *proc.Proc, argv []string) (code int) {
	pr := &proc.Proc{Ctx: p.ctx, Args: argv, Env: child.Env, Dir: child.Dir, Stdin: child.Stdin,
		Stdout: child.Stdout, Stderr: child.Stderr, TTY: child.TTY, Sys: p}
	if pr.Stdin == nil {
		pr.Stdin = proc.Empty{}
	}
	if pr.Stdout == nil {
		pr.Stdout = io.Discard
	}
	if pr.Stderr == nil {
		pr.Stderr = io.Discard
	}
	if pr.Dir == "" {
		pr.Dir = "/"
	}
	defer func() {
		if v := recover(); v != nil {
			c.rt.panics.Add(1)
			c.rt.lastPanic.Store(fmt.Sprintf("%s: %v", strings.Join(argv, " "), v))
			code = 128 + int(11)
		}
	}()
	return p.exitStatus(fn(pr))
}

func (c *Container) lookup(pid int) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[pid]
}

func (c *Container) processes() []proc.ProcessInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]proc.ProcessInfo, 0, len(c.procs))
	for _, p := range c.procs {
		p.mu.Lock()
		out = append(out, proc.ProcessInfo{PID: p.pid, Args: append([]string(nil), p.argv...), Start: p.start})
		p.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}
