package commands

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// pingOpts is a parsed ping command line.
type pingOpts struct {
	host     string
	count    int // 0: until interrupted
	size     int
	interval time.Duration
	wait     time.Duration // for the replies to the last request
	deadline time.Duration // -w: the whole run
	family   int
	quiet    bool
	numeric  bool
}

// pingStats is what ping counts while it runs.
type pingStats struct {
	sent, received, errors int
	rtts                   []time.Duration
}

// pingUserland is ping as the image's userland has it: busybox's applet or iputils.
func pingUserland(p *proc.Proc) int {
	if gnu(p) {
		return iputilsPing(p)
	}
	return busyboxPing(p, 0)
}

// ping6 is busybox's ping6: ping -6.
func ping6(p *proc.Proc) int {
	if gnu(p) {
		return iputilsPing(p)
	}
	return busyboxPing(p, 6)
}

const busyboxPingUsage = `BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.

Usage: %s [OPTIONS] HOST

Send ICMP ECHO_REQUESTs to HOST
%s
	-c CNT		Send only CNT pings
	-s SIZE		Send SIZE data bytes in packets (default 56)
	-i SECS		Interval
	-A		Ping as soon as reply is received
%s	-I IFACE/IP	Source interface or IP address
	-W SEC		Seconds to wait for the first response (default 10)
			(after all -c CNT packets are sent)
	-w SEC		Seconds until ping exits (default:infinite)
			(can exit earlier with -c CNT)
	-q		Quiet, only display output at start/finish
	-p HEXBYTE	Payload pattern
`

// busyboxPing is busybox's ping (FEATURE_FANCY_PING): "seq=0", integer loss, no reverse
// lookups, ICMP errors ignored (an unreachable host looks like a lost packet).
func busyboxPing(p *proc.Proc, family int) int {
	o, ok := getopt(p, p.Args[1:], "qvAnc:s:t:w:W:I:p:i:46")
	if !ok || len(o.args) != 1 {
		four, ttl := "\n\t-4,-6\t\tForce IP or IPv6 name resolution", "\t-t TTL\t\tSet TTL\n"
		if family == 6 {
			four, ttl = "", ""
		}
		fmt.Fprintf(p.Stderr, busyboxPingUsage, name(p), four, ttl)
		return 1
	}
	opts := pingOpts{host: o.args[0], size: 56, interval: time.Second, wait: 10 * time.Second, family: family, quiet: o.has('q')}
	for c, dst := range map[byte]*int{'c': &opts.count, 's': &opts.size} {
		if v, ok := o.val[c]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				errorf(p, "invalid number '%s'", v)
				return 1
			}
			*dst = n
		}
	}
	for c, dst := range map[byte]*time.Duration{'i': &opts.interval, 'W': &opts.wait, 'w': &opts.deadline} {
		if v, ok := o.val[c]; ok {
			d, err := strconv.ParseFloat(v, 64)
			if err != nil || d < 0 {
				errorf(p, "invalid number '%s'", v)
				return 1
			}
			*dst = time.Duration(d * float64(time.Second))
		}
	}
	if o.has('4') {
		opts.family = 4
	}
	if o.has('6') {
		opts.family = 6
	}
	addr, _, ok := pingResolve(p, opts.host, opts.family)
	if !ok {
		errorf(p, "bad address '%s'", opts.host)
		return 1
	}
	w := newOut(p.Stdout)
	w.printf("PING %s (%s): %d data bytes\n", opts.host, addr, opts.size)
	w.flush()
	st := pingRun(p, opts, addr, false, func(seq int, rtt time.Duration, err error) {
		if err != nil || opts.quiet {
			return
		}
		w.printf("%d bytes from %s: seq=%d ttl=%d time=%d.%03d ms\n", opts.size+8, addr, seq, pingTTL(p, addr),
			rtt.Microseconds()/1000, rtt.Microseconds()%1000)
		w.flush()
	})
	w.printf("\n--- %s ping statistics ---\n", opts.host)
	loss := 0
	if st.sent > 0 {
		loss = (st.sent - st.received) * 100 / st.sent
	}
	w.printf("%d packets transmitted, %d packets received, %d%% packet loss\n", st.sent, st.received, loss)
	if st.received > 0 {
		lo, avg, hi, _ := st.summary()
		us := func(d time.Duration) string {
			return fmt.Sprintf("%d.%03d", d.Microseconds()/1000, d.Microseconds()%1000)
		}
		w.printf("round-trip min/avg/max = %s/%s/%s ms\n", us(lo), us(avg), us(hi))
	}
	if st.received == 0 {
		return w.done(1)
	}
	return w.done(0)
}

const iputilsUsage = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
`

// iputilsPing is iputils' ping (20221126, Debian bookworm; the same release in netshoot):
// "icmp_seq=1", the loss as %g with the elapsed time, rtt with mdev, names of the replying
// host looked up unless the destination was numeric or -n, "Destination Host Unreachable"
// counted as errors.
func iputilsPing(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "aAbBCdDfhLnOqrRUvV46c:e:F:i:I:l:m:M:N:p:Q:s:S:t:T:w:W:")
	if !ok {
		fmt.Fprint(p.Stderr, iputilsUsage)
		return 2
	}
	if o.has('h') {
		fmt.Fprint(p.Stdout, iputilsUsage)
		return 2
	}
	if o.has('V') {
		fmt.Fprintln(p.Stdout, "ping from iputils 20221126\nlibcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes")
		return 0
	}
	if len(o.args) == 0 {
		errorf(p, "usage error: Destination address required")
		return 1
	}
	opts := pingOpts{host: o.args[len(o.args)-1], size: 56, interval: time.Second, wait: 10 * time.Second,
		quiet: o.has('q'), numeric: o.has('n')}
	if name(p) == "ping6" {
		opts.family = 6
	}
	for c, dst := range map[byte]*int{'c': &opts.count, 's': &opts.size} {
		if v, ok := o.val[c]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errorf(p, "invalid argument: '%s'", v)
				return 1
			}
			*dst = n
		}
	}
	for c, dst := range map[byte]*time.Duration{'i': &opts.interval, 'W': &opts.wait, 'w': &opts.deadline} {
		if v, ok := o.val[c]; ok {
			d, err := strconv.ParseFloat(v, 64)
			if err != nil || d < 0 {
				errorf(p, "invalid argument: '%s'", v)
				return 1
			}
			*dst = time.Duration(d * float64(time.Second))
		}
	}
	if o.has('4') {
		opts.family = 4
	}
	if o.has('6') {
		opts.family = 6
	}
	literal := false
	if _, err := netip.ParseAddr(opts.host); err == nil {
		literal = true
	}
	addr, canon, ok := pingResolve(p, opts.host, opts.family)
	if !ok {
		_, err := lookupHost(p, opts.host, opts.family)
		errorf(p, "%s: %s", opts.host, gaiError(p, err))
		return 2
	}
	opts.host = canon
	w := newOut(p.Stdout)
	if addr.Is4() {
		w.printf("PING %s (%s) %d(%d) bytes of data.\n", opts.host, addr, opts.size, opts.size+28)
	} else {
		w.printf("PING %s(%s) %d data bytes\n", opts.host, addr, opts.size)
	}
	w.flush()
	from := addr.String()
	if !literal && !opts.numeric {
		if n := reverseLookup(p, addr); n != "" {
			from = n + " (" + addr.String() + ")"
		}
	}
	own := ""
	for _, pre := range p.Sys.PodIPs() {
		if pre.Addr().Is4() == addr.Is4() {
			own = pre.Addr().String()
			break
		}
	}
	st := pingRun(p, opts, addr, true, func(seq int, rtt time.Duration, err error) {
		switch {
		case errors.Is(err, syscall.EHOSTUNREACH):
			w.printf("From %s icmp_seq=%d Destination Host Unreachable\n", own, seq+1)
		case err != nil || opts.quiet:
			return
		default:
			w.printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%s ms\n", opts.size+8, from, seq+1, pingTTL(p, addr), iputilsTime(rtt))
		}
		w.flush()
	})
	w.printf("\n--- %s ping statistics ---\n", opts.host)
	w.printf("%d packets transmitted, %d received", st.sent, st.received)
	if st.errors > 0 {
		w.printf(", +%d errors", st.errors)
	}
	if st.sent > 0 {
		loss := float64(float32(float64(st.sent-st.received) * 100 / float64(st.sent)))
		elapsed := time.Duration(st.sent-1) * opts.interval
		w.printf(", %s%% packet loss, time %dms", strconv.FormatFloat(loss, 'g', 6, 64), elapsed.Milliseconds())
	}
	w.print("\n")
	if st.received > 0 {
		lo, avg, hi, mdev := st.summary()
		us := func(d time.Duration) string {
			return fmt.Sprintf("%d.%03d", d.Microseconds()/1000, d.Microseconds()%1000)
		}
		w.printf("rtt min/avg/max/mdev = %s/%s/%s/%s ms", us(lo), us(avg), us(hi), us(mdev))
	}
	w.print("\n")
	if st.received == 0 {
		return w.done(1)
	}
	return w.done(0)
}

// iputilsTime is a round trip as iputils prints it: three decimals below 1 ms, fewer above.
func iputilsTime(d time.Duration) string {
	us := d.Microseconds()
	switch {
	case us >= 100000:
		return strconv.FormatInt(us/1000, 10)
	case us >= 10000:
		return fmt.Sprintf("%d.%01d", us/1000, us%1000/100)
	case us >= 1000:
		return fmt.Sprintf("%d.%02d", us/1000, us%1000/10)
	}
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}

// pingResolve finds the address to ping: a literal, or the first address getaddrinfo would
// give for the name, with its canonical name (what iputils prints; busybox prints the name
// as given).
func pingResolve(p *proc.Proc, host string, family int) (netip.Addr, string, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), host, true
	}
	found, _ := lookupHost(p, host, family)
	found = preferred(found)
	if len(found) == 0 {
		return netip.Addr{}, "", false
	}
	return found[0].addr, found[0].name, true
}

// pingRun sends the echo requests: one every interval, each waiting for its reply until the
// next is due (the last one for opts.wait), until the count is reached, the -w deadline
// passes, or the process gets SIGINT or is killed. report is called for each reply, and for
// each unreachable error when icmpErrors (iputils reads them; busybox reads only echo
// replies and keeps waiting as for a lost packet).
func pingRun(p *proc.Proc, opts pingOpts, addr netip.Addr, icmpErrors bool, report func(seq int, rtt time.Duration, err error)) pingStats {
	var st pingStats
	ctx := p.Ctx
	if opts.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.deadline)
		defer cancel()
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	sig := p.Sys.Notify(proc.SIGINT)
	go func() {
		select {
		case <-sig:
			stop()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	for seq := 0; opts.count == 0 || seq < opts.count; seq++ {
		due := start.Add(time.Duration(seq) * opts.interval)
		if !sleepUntil(ctx, due) {
			break
		}
		st.sent++
		last := opts.count > 0 && seq == opts.count-1
		wait := opts.interval
		if last {
			wait = opts.wait
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		err := p.Sys.Ping(wctx, addr)
		if err == nil && wctx.Err() != nil {
			err = syscall.ETIMEDOUT
		}
		if errors.Is(err, syscall.EHOSTUNREACH) && !icmpErrors {
			<-wctx.Done()
		}
		cancel()
		switch {
		case err == nil:
			st.received++
			rtt := pingRTT(addr, seq, p)
			st.rtts = append(st.rtts, rtt)
			report(seq, rtt, nil)
		case errors.Is(err, syscall.EHOSTUNREACH) && icmpErrors:
			st.errors++
			report(seq, 0, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return st
}

// sleepUntil waits for t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pingRTT is the round trip the simulation reports: the network has no latency, so a steady
// figure per destination and sequence number, in the range a pod network shows (tens of
// microseconds on the pod itself, around a tenth of a millisecond elsewhere).
func pingRTT(addr netip.Addr, seq int, p *proc.Proc) time.Duration {
	h := fnv.New32a()
	h.Write(addr.AsSlice())
	h.Write([]byte{byte(seq), byte(seq >> 8)})
	jitter := time.Duration(h.Sum32()%40) * time.Microsecond
	if pingLocal(p, addr) {
		return 30*time.Microsecond + jitter
	}
	return 60*time.Microsecond + jitter
}

// pingTTL is the TTL of a reply: 64 from the pod itself, one hop less through the node.
func pingTTL(p *proc.Proc, addr netip.Addr) int {
	if pingLocal(p, addr) {
		return 64
	}
	return 63
}

func pingLocal(p *proc.Proc, addr netip.Addr) bool {
	if addr.IsLoopback() || addr.IsUnspecified() {
		return true
	}
	for _, pre := range p.Sys.PodIPs() {
		if pre.Addr() == addr {
			return true
		}
	}
	return false
}

// summary is min, avg, max and iputils' mdev of the round trips.
func (st pingStats) summary() (lo, avg, hi, mdev time.Duration) {
	if len(st.rtts) == 0 {
		return
	}
	lo, hi = st.rtts[0], st.rtts[0]
	var sum, sum2 float64
	for _, r := range st.rtts {
		lo, hi = min(lo, r), max(hi, r)
		us := float64(r.Microseconds())
		sum += us
		sum2 += us * us
	}
	n := float64(len(st.rtts))
	mean := sum / n
	avg = time.Duration(int64(mean)) * time.Microsecond
	mdev = time.Duration(int64(math.Sqrt(math.Max(0, sum2/n-mean*mean)))) * time.Microsecond
	return
}

// gaiError is gai_strerror's text for a failed lookup: glibc's on GNU images, musl's on the
// others.
func gaiError(p *proc.Proc, err error) string {
	again := errors.Is(err, errNoReply)
	switch {
	case gnu(p) && again:
		return "Temporary failure in name resolution"
	case gnu(p):
		return "Name or service not known"
	case again:
		return "Try again"
	}
	return "Name does not resolve"
}

// preferred orders addresses as getaddrinfo does by RFC 6724's precedence table: loopback
// ::1 first, then global IPv6, IPv4, and unique-local IPv6 (fd00::/8, as pod networks use)
// after IPv4. The order is otherwise kept.
func preferred(found []hostAddr) []hostAddr {
	prec := func(a netip.Addr) int {
		switch {
		case a.Is4() || a.Is4In6():
			return 35
		case a == netip.IPv6Loopback():
			return 50
		case netip.MustParsePrefix("2002::/16").Contains(a):
			return 30
		case netip.MustParsePrefix("2001::/32").Contains(a):
			return 5
		case netip.MustParsePrefix("fc00::/7").Contains(a):
			return 3
		case netip.MustParsePrefix("fec0::/10").Contains(a), netip.MustParsePrefix("3ffe::/16").Contains(a):
			return 1
		}
		return 40
	}
	out := append([]hostAddr(nil), found...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && prec(out[j].addr) > prec(out[j-1].addr); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// reverseLookup is getnameinfo's name for addr: /etc/hosts, then a PTR query; "" if none.
func reverseLookup(p *proc.Proc, addr netip.Addr) string {
	for _, e := range readHosts(p) {
		if e.addr == addr && len(e.names) > 0 {
			return e.names[0]
		}
	}
	a, _, err := query(p, readResolvConf(p), ptrName(addr), proc.TypePTR)
	if err != nil || a.RCode != proc.NoError || len(a.Names) == 0 {
		return ""
	}
	return strings.TrimSuffix(a.Names[0], ".")
}
