package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// ncUserland is nc as the image's userland has it: busybox's applet (netcat 1.10's
// options) or Debian's netcat-openbsd.
func ncUserland(p *proc.Proc) int {
	if gnu(p) {
		return ncOpenBSD(p)
	}
	return ncBusybox(p)
}

const ncBusyboxUsage = `BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.

Usage: nc [OPTIONS] HOST PORT  - connect
nc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen

	-e PROG	Run PROG after connect (must be last)
	-l	Listen mode, for inbound connects
	-lk	With -e, provides persistent server
	-p PORT	Local port
	-s ADDR	Local address
	-w SEC	Timeout for connects and final net reads
	-i SEC	Delay interval for lines sent
	-n	Don't do DNS resolution
	-u	UDP mode
	-b	Allow broadcasts
	-v	Verbose
	-o FILE	Hex dump traffic
	-z	Zero-I/O mode (scanning)
`

// ncBusybox is busybox's nc (NC_110_COMPAT, as in the busybox and alpine images): "-z -v"
// says "HOST (ADDR:PORT) open" and keeps refusals quiet unless -vv, -w bounds the connect
// and the idle time, -l -p serves one connection (-lk -e PROG one per connection) and -e
// runs a program on the connection. At the end of its input it half-closes the connection
// and waits for the peer to close.
func ncBusybox(p *proc.Proc) int {
	args, prog := ncSplitExec(p.Args[1:], "nuvlkz")
	o, ok := getopt(p, args, "np:s:ubvw:lki:o:z")
	if !ok || len(o.args) > 2 || o.has('u') {
		fmt.Fprint(p.Stderr, ncBusyboxUsage)
		return 1
	}
	verbose := o.set['v']
	var wait time.Duration
	if v, ok := o.val['w']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errorf(p, "invalid number '%s'", v)
			return 1
		}
		wait = time.Duration(n) * time.Second
	}
	var sent, rcvd atomic.Int64
	report := func(code int) int {
		if verbose > 1 {
			fmt.Fprintf(p.Stderr, "sent %d, rcvd %d\n", sent.Load(), rcvd.Load())
		}
		return code
	}
	xfer := ncXfer{shutdown: true, quit: -1, idle: wait, idleTicks: 2, sent: &sent, rcvd: &rcvd}

	if o.has('l') {
		lport := 0
		if v, ok := o.val['p']; ok {
			n, ok := ncPort(p, v)
			if !ok {
				errorf(p, "bad port '%s'", v)
				return 1
			}
			lport = n
		}
		if lport == 0 {
			errorf(p, "bind: %s", proc.Strerror(syscall.EINVAL))
			return 1
		}
		persistent := o.has('k') || o.set['l'] > 1
		conns, l, err := ncListen(p, lport, persistent && prog != nil)
		if err != nil {
			errorf(p, "bind: %s", proc.Strerror(err))
			return 1
		}
		defer l.Close()
		if verbose > 0 {
			fmt.Fprintf(p.Stderr, "listening on [::]:%d ...\n", lport)
		}
		var timeout <-chan time.Time
		if wait > 0 {
			timeout = time.After(wait)
		}
		for {
			var c net.Conn
			select {
			case c = <-conns:
			case <-timeout:
				errorf(p, "timeout")
				return 1
			case <-p.Ctx.Done():
				return report(1)
			}
			if verbose > 0 {
				fmt.Fprintf(p.Stderr, "connect to %s from %s (%s)\n", bbSockaddr(c.LocalAddr(), true),
					bbSockaddr(c.RemoteAddr(), true), bbSockaddr(c.RemoteAddr(), true))
			}
			if prog != nil {
				if persistent {
					go ncExec(p, c, prog)
					continue
				}
				return ncExec(p, c, prog)
			}
			ncCopy(p, c, xfer)
			return report(0)
		}
	}

	if len(o.args) == 0 {
		fmt.Fprint(p.Stderr, ncBusyboxUsage)
		return 1
	}
	host := o.args[0]
	port := 0
	if len(o.args) > 1 {
		n, ok := ncPort(p, o.args[1])
		if !ok {
			errorf(p, "bad port '%s'", o.args[1])
			return 1
		}
		port = n
	}
	addr, ok := ncResolve(p, host, 0)
	if !ok {
		errorf(p, "bad address '%s'", host)
		return 1
	}
	to := netip.AddrPortFrom(addr[0], uint16(port))
	c, err := ncDial(p, to, wait)
	if err != nil {
		if verbose > 1 || (verbose > 0 && !errors.Is(err, syscall.ECONNREFUSED)) {
			errorf(p, "%s (%s): %s", host, bbSockaddr(net.TCPAddrFromAddrPort(to), false), proc.Strerror(err))
		}
		return report(1)
	}
	if verbose > 0 {
		fmt.Fprintf(p.Stderr, "%s (%s) open\n", host, bbSockaddr(net.TCPAddrFromAddrPort(to), false))
	}
	if prog != nil {
		return ncExec(p, c, prog)
	}
	if o.has('z') {
		c.Close()
		return report(0)
	}
	ncCopy(p, c, xfer)
	return report(0)
}

const ncOpenBSDUsage = `usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]
	  [-m minttl] [-O length] [-P proxy_username] [-p source_port]
	  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]
	  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]
	  [destination] [port]
`

// ncOpenBSD is Debian's netcat-openbsd (1.219; Alpine ships the same patched source, as in
// netshoot): "-z -v" says "Connection to HOST PORT port [tcp/SERVICE] succeeded!", failures
// are "nc: connect to HOST port PORT (tcp) failed: ..." (with -v), -w bounds the connect and
// idle time, -l [-p] PORT serves one connection (-k: one after another). At the end of its
// input it keeps reading until the peer closes, unless -N (half-close) or -q SECS (quit).
func ncOpenBSD(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "46CDdFhklNnrStUuvZzI:i:M:m:O:P:p:q:s:T:V:W:w:X:x:")
	if !ok {
		fmt.Fprint(p.Stderr, ncOpenBSDUsage)
		return 1
	}
	if o.has('h') {
		fmt.Fprint(p.Stderr, "OpenBSD netcat (Debian patchlevel 1.219-1)\n"+ncOpenBSDUsage)
		return 1
	}
	if o.has('u') {
		errorf(p, "UDP is not simulated")
		return 1
	}
	verbose := o.has('v')
	family := 0
	if o.has('4') {
		family = 4
	}
	if o.has('6') {
		family = 6
	}
	var wait time.Duration
	if v, ok := o.val['w']; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errorf(p, "timeout %s: invalid", v)
			return 1
		}
		wait = time.Duration(n) * time.Second
	}
	quit := time.Duration(-1)
	if v, ok := o.val['q']; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			errorf(p, "quit timer %s: invalid", v)
			return 1
		}
		if n >= 0 {
			quit = time.Duration(n) * time.Second
		}
	}
	xfer := ncXfer{shutdown: o.has('N'), quit: quit, idle: wait, idleTicks: 1, noStdin: o.has('d')}

	if o.has('l') {
		pv, ok := o.val['p']
		if !ok && len(o.args) > 0 {
			pv, ok = o.args[len(o.args)-1], true
		}
		if !ok {
			errorf(p, "missing port number")
			return 1
		}
		lport, ok := ncPort(p, pv)
		if !ok || lport == 0 {
			errorf(p, "port number invalid: %s", pv)
			return 1
		}
		conns, l, err := ncListen(p, lport, false)
		if err != nil {
			errorf(p, "%s", proc.Strerror(err))
			return 1
		}
		defer l.Close()
		if verbose {
			fmt.Fprintf(p.Stderr, "Listening on 0.0.0.0 %d\n", lport)
		}
		for {
			var c net.Conn
			select {
			case c = <-conns:
			case <-p.Ctx.Done():
				return 1
			}
			if verbose {
				remote := ncAddrPort(c.RemoteAddr())
				host := remote.Addr().String()
				if !o.has('n') {
					if n := reverseLookup(p, remote.Addr()); n != "" {
						host = n
					}
				}
				fmt.Fprintf(p.Stderr, "Connection received on %s %d\n", host, remote.Port())
			}
			ncCopy(p, c, xfer)
			if !o.has('k') {
				return 0
			}
		}
	}

	if len(o.args) == 0 {
		fmt.Fprint(p.Stderr, ncOpenBSDUsage)
		return 1
	}
	if len(o.args) < 2 {
		errorf(p, "missing port number")
		return 1
	}
	host := o.args[0]
	var ports []int
	for _, spec := range o.args[1:] {
		lo, hi, isRange := strings.Cut(spec, "-")
		if !isRange {
			n, ok := ncPort(p, spec)
			if !ok {
				errorf(p, "port number invalid: %s", spec)
				return 1
			}
			ports = append(ports, n)
			continue
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 1 || b > 65535 || a > b {
			errorf(p, "port range not valid")
			return 1
		}
		for n := a; n <= b; n++ {
			ports = append(ports, n)
		}
	}
	addrs, ok := ncResolve(p, host, family)
	if !ok {
		_, err := lookupHost(p, host, family)
		errorf(p, "getaddrinfo for host \"%s\" port %s: %s", host, o.args[1], gaiError(p, err))
		return 1
	}
	status := 1
	for _, port := range ports {
		var c net.Conn
		var used netip.Addr
		for _, a := range addrs {
			to := netip.AddrPortFrom(a, uint16(port))
			conn, err := ncDial(p, to, wait)
			if err == nil {
				c, used = conn, a
				break
			}
			if verbose {
				if wait > 0 && errors.Is(err, syscall.ETIMEDOUT) {
					errorf(p, "connect to %s port %d (tcp) timed out: %s", host, port, proc.Strerror(syscall.EINPROGRESS))
				} else {
					errorf(p, "connect to %s port %d (tcp) failed: %s", host, port, proc.Strerror(err))
				}
			}
			if p.Ctx.Err() != nil {
				return 1
			}
		}
		if c == nil {
			continue
		}
		status = 0
		if verbose {
			shown := host
			if !o.has('n') && host != used.String() {
				shown += " (" + used.String() + ")"
			}
			svc := "*"
			if !o.has('n') {
				if s := serviceName(p, port); s != "" {
					svc = s
				}
			}
			fmt.Fprintf(p.Stderr, "Connection to %s %d port [tcp/%s] succeeded!\n", shown, port, svc)
		}
		if o.has('z') {
			c.Close()
			continue
		}
		ncCopy(p, c, xfer)
	}
	return status
}

// ncSplitExec takes busybox nc's "-e PROG [ARGS]" (or "-<flags>e PROG") off the command
// line: what follows it is the program.
func ncSplitExec(args []string, flagsBefore string) ([]string, []string) {
	for i, a := range args {
		if a == "-e" {
			return args[:i], args[i+1:]
		}
		if len(a) > 2 && a[0] == '-' && strings.HasSuffix(a, "e") && strings.Trim(a[1:len(a)-1], flagsBefore) == "" {
			return append(append([]string(nil), args[:i]...), a[:len(a)-1]), args[i+1:]
		}
	}
	return args, nil
}

// ncResolve is the addresses to connect to: a literal, or the host's addresses in
// getaddrinfo's order.
func ncResolve(p *proc.Proc, host string, family int) ([]netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, true
	}
	found, _ := lookupHost(p, host, family)
	if len(found) == 0 && strings.EqualFold(host, "localhost") {
		found = []hostAddr{{addr: netip.MustParseAddr("127.0.0.1")}}
	}
	var out []netip.Addr
	for _, f := range preferred(found) {
		out = append(out, f.addr)
	}
	return out, len(out) > 0
}

// ncPort reads a port operand: a number or a name from /etc/services.
func ncPort(p *proc.Proc, s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && n <= 65535
	}
	for _, e := range readServices(p) {
		if e.name == s || e.alias(s) {
			return e.port, true
		}
	}
	return 0, false
}

// ncDial connects with the -w timeout, if any; a timeout that expires is ETIMEDOUT.
func ncDial(p *proc.Proc, to netip.AddrPort, wait time.Duration) (net.Conn, error) {
	if to.Port() == 0 {
		return nil, syscall.ECONNREFUSED
	}
	ctx := p.Ctx
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	c, err := p.Sys.Dial(ctx, to)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = syscall.ETIMEDOUT
	}
	return c, err
}

// ncListen serves port, handing the connections to the caller one at a time; with many,
// every connection is handed over (the caller serves them concurrently), otherwise only the
// first and the rest are refused, as a listen(1) socket that is never accepted again.
func ncListen(p *proc.Proc, port int, many bool) (<-chan net.Conn, io.Closer, error) {
	conns := make(chan net.Conn, 1)
	var taken atomic.Bool
	l, err := p.Sys.Listen(port, func(c net.Conn) {
		if !many && taken.Swap(true) {
			c.Close()
			return
		}
		select {
		case conns <- c:
		case <-p.Ctx.Done():
			c.Close()
		}
	})
	return conns, l, err
}

// ncExec runs prog with the connection as its standard input and output, as -e does.
func ncExec(p *proc.Proc, c net.Conn, prog []string) int {
	defer c.Close()
	if len(prog) == 0 {
		fmt.Fprint(p.Stderr, ncBusyboxUsage)
		return 1
	}
	code, err := p.Sys.Exec(&proc.Proc{Ctx: p.Ctx, Args: prog, Env: p.Env, Dir: p.Dir, Stdin: c, Stdout: c, Stderr: p.Stderr, Sys: p.Sys})
	if err != nil {
		errorf(p, "can't execute '%s': %s", prog[0], proc.Strerror(err))
		return 127
	}
	return code
}

// ncXfer says how a connection's data is shovelled.
type ncXfer struct {
	// shutdown half-closes the connection at the end of the input (busybox; openbsd -N)
	shutdown bool
	// quit ends the transfer this long after the end of the input (openbsd -q); <0 never
	quit time.Duration
	// idle ends the transfer after idleTicks periods without data from the network (-w)
	idle      time.Duration
	idleTicks int
	// noStdin does not read the input (openbsd -d)
	noStdin    bool
	sent, rcvd *atomic.Int64
}

// closeWriter is a connection that can be half-closed (shutdown(SHUT_WR)).
type closeWriter interface{ CloseWrite() error }

// ncLinger is how long a connection that cannot be half-closed is kept open after the end
// of the input once the peer has gone quiet: the peer never sees EOF, so this stands in for
// the close it would have answered with.
const ncLinger = 300 * time.Millisecond

// ncCopy copies the input to c and c to the output until both have ended (or the -q / -w
// timers or the process end it), then closes c.
func ncCopy(p *proc.Proc, c net.Conn, x ncXfer) {
	defer c.Close()
	if x.sent == nil {
		x.sent, x.rcvd = new(atomic.Int64), new(atomic.Int64)
	}
	activity := make(chan struct{}, 1)
	poke := func() {
		select {
		case activity <- struct{}{}:
		default:
		}
	}
	netDone := make(chan struct{})
	go func() {
		defer close(netDone)
		buf := make([]byte, 8192)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if _, werr := p.Stdout.Write(buf[:n]); werr != nil {
					return
				}
				x.rcvd.Add(int64(n))
				poke()
			}
			if err != nil {
				return
			}
		}
	}()
	inDone := make(chan struct{})
	if x.noStdin {
		close(inDone)
	} else {
		go func() {
			defer close(inDone)
			buf := make([]byte, 8192)
			for {
				n, err := p.Stdin.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
					x.sent.Add(int64(n))
				}
				if err != nil {
					return
				}
			}
		}()
	}
	var idle, linger, quit <-chan time.Time
	ticks := 0
	resetIdle := func() {
		if x.idle > 0 {
			idle = time.After(x.idle)
		}
	}
	resetIdle()
	in, netc := (<-chan struct{})(inDone), (<-chan struct{})(netDone)
	lingering := false
	for in != nil || netc != nil {
		select {
		case <-in:
			in = nil
			if x.shutdown {
				if cw, ok := c.(closeWriter); ok {
					_ = cw.CloseWrite()
				} else {
					lingering = true
					linger = time.After(ncLinger)
				}
			}
			if x.quit >= 0 {
				quit = time.After(x.quit)
			}
		case <-netc:
			netc = nil
		case <-activity:
			ticks = 0
			resetIdle()
			if lingering {
				linger = time.After(ncLinger)
			}
		case <-idle:
			ticks++
			if ticks >= x.idleTicks {
				return
			}
			resetIdle()
		case <-linger:
			c.Close()
		case <-quit:
			return
		case <-p.Ctx.Done():
			return
		}
	}
}

// bbSockaddr is busybox's xmalloc_sockaddr2dotted: "10.96.0.12:80", "[fd00::c]:80"; on a
// listening socket (dual-stack) IPv4 peers show as mapped addresses.
func bbSockaddr(a net.Addr, listening bool) string {
	ap := ncAddrPort(a)
	if listening && ap.Addr().Is4() {
		return fmt.Sprintf("[::ffff:%s]:%d", ap.Addr(), ap.Port())
	}
	return ap.String()
}

func ncAddrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// service is one /etc/services entry (TCP).
type service struct {
	name    string
	port    int
	aliases []string
}

func (s service) alias(n string) bool {
	for _, a := range s.aliases {
		if a == n {
			return true
		}
	}
	return false
}

// builtinServices stands in for /etc/services (netbase, alpine-baselayout) in images that
// lack it: the TCP ports people probe in clusters.
func builtinServices() []service {
	return []service{
		{"ftp", 21, nil}, {"ssh", 22, nil}, {"telnet", 23, nil}, {"smtp", 25, []string{"mail"}},
		{"domain", 53, nil}, {"http", 80, []string{"www"}}, {"pop3", 110, []string{"pop-3"}},
		{"imap2", 143, []string{"imap"}}, {"ldap", 389, nil}, {"https", 443, nil},
		{"submissions", 465, []string{"ssmtp", "smtps", "urd"}}, {"submission", 587, nil},
		{"ldaps", 636, nil}, {"imaps", 993, nil}, {"pop3s", 995, nil}, {"socks", 1080, nil},
		{"ms-sql-s", 1433, nil}, {"openvpn", 1194, nil}, {"mqtt", 1883, nil}, {"nfs", 2049, nil},
		{"etcd-client", 2379, nil}, {"etcd-server", 2380, nil}, {"mysql", 3306, nil},
		{"postgresql", 5432, []string{"postgres"}}, {"amqp", 5672, nil}, {"x11", 6000, []string{"x11-0"}},
		{"redis", 6379, nil}, {"http-alt", 8080, []string{"webcache"}}, {"tproxy", 8081, nil},
		{"mongodb", 27017, nil}, {"memcache", 11211, nil}, {"zookeeper", 2181, nil},
		{"kafka", 9092, nil},
	}
}

// readServices reads the TCP entries of the container's /etc/services, or the built-in table
// when it has none.
func readServices(p *proc.Proc) []service {
	b, err := p.FS().ReadFile("/etc/services")
	if err != nil {
		return builtinServices()
	}
	var out []service
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		num, proto, ok := strings.Cut(f[1], "/")
		n, err := strconv.Atoi(num)
		if !ok || proto != "tcp" || err != nil {
			continue
		}
		out = append(out, service{name: f[0], port: n, aliases: f[2:]})
	}
	return out
}

// serviceName is getservbyport's name for a TCP port, or "".
func serviceName(p *proc.Proc, port int) string {
	for _, s := range readServices(p) {
		if s.port == port {
			return s.name
		}
	}
	return ""
}
