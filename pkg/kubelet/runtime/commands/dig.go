package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// digLookup is one question dig asks, with the options that apply to it: those given before
// any name are the defaults of every lookup, those after a name change that lookup only.
type digLookup struct {
	name    string
	qtype   uint16
	typeSet bool
	port    uint16
	family  int

	short, search, tcp, recurse, edns, cookie, adflag, cdflag, dnssec bool
	cmd, comments, question, answer, authority, additional, stats     bool
	// nocmd is an explicit +nocmd: only it keeps the command line out of a failure report
	nocmd bool

	timeout time.Duration
	tries   int
	ndots   int
}

// digServer is a nameserver dig asks, with the name it was given by (@name) for the SERVER
// line.
type digServer struct {
	addr  netip.Addr
	shown string
}

// digVersion is the BIND release of the image's dig: Debian bookworm's dnsutils for GNU
// images, Alpine's bind-tools (netshoot) otherwise.
func digVersion(p *proc.Proc) string {
	if gnu(p) {
		return "9.18.33-1~deb12u2-Debian"
	}
	return "9.18.31"
}

const digUsage = `Usage:  dig [@global-server] [domain] [q-type] [q-class] {q-opt}
            {global-d-opt} host [@local-server] {local-d-opt}
            [ host [@local-server] {local-d-opt} [...]]

Use "dig -h" (or "dig -h | more") for complete list of options
`

// dig is BIND 9.18's dig: EDNS0 queries with a cookie to the nameservers of resolv.conf (or
// @server), printed in dig's own layout, +short, +search (off by default, unlike the C
// library), section switches, +tcp, -x, +timeout and +tries.
func dig(p *proc.Proc) int {
	def := digLookup{
		qtype: dns.TypeA, port: 53, recurse: true, edns: true, cookie: true, adflag: true,
		cmd: true, comments: true, question: true, answer: true, authority: true, additional: true,
		stats: true, timeout: 5 * time.Second, tries: 3, ndots: -1,
	}
	var lookups []*digLookup
	cur := &def
	invalid := func(opt string) int {
		fmt.Fprintf(p.Stderr, "Invalid option: %s\n%s", opt, digUsage)
		return 1
	}
	var serverNames []string
	args := p.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "@"):
			serverNames = append(serverNames, a[1:])
		case strings.HasPrefix(a, "+"):
			if bad := digOption(cur, a[1:]); bad != "" {
				if bad == "invalid" {
					return invalid(a)
				}
				fmt.Fprintln(p.Stderr, bad)
				return 1
			}
		case len(a) > 1 && a[0] == '-':
			flag := a[1]
			val := a[2:]
			takes := strings.IndexByte("ptcxqbfky", flag) >= 0
			if takes && val == "" {
				if i+1 >= len(args) {
					return invalid(a)
				}
				i++
				val = args[i]
			}
			switch flag {
			case '4':
				cur.family = 4
			case '6':
				cur.family = 6
			case 'h':
				fmt.Fprint(p.Stdout, digUsage)
				return 0
			case 'v':
				fmt.Fprintf(p.Stderr, "DiG %s\n", digVersion(p))
				return 0
			case 'p':
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 || n > 65535 {
					fmt.Fprintf(p.Stderr, "invalid port number '%s': out of range\ndig: Couldn't parse port number\n", val)
					return 1
				}
				cur.port = uint16(n)
			case 't':
				t, ok := dns.StringToType[strings.ToUpper(val)]
				if !ok {
					fmt.Fprintf(p.Stdout, ";; Warning, ignoring invalid type %s\n", val)
					continue
				}
				cur.qtype, cur.typeSet = t, true
			case 'c':
				// only the Internet class is simulated; the others are accepted as IN
			case 'x':
				l := def
				l.name, l.qtype = reverseName(val), dns.TypePTR
				lookups = append(lookups, &l)
				cur = &l
			case 'q':
				l := def
				l.name = val
				lookups = append(lookups, &l)
				cur = &l
			case 'b':
			default:
				return invalid(a)
			}
		default:
			if t, ok := dns.StringToType[strings.ToUpper(a)]; ok && !cur.typeSet && a != "." {
				cur.qtype, cur.typeSet = t, true
				continue
			}
			if strings.EqualFold(a, "IN") {
				continue
			}
			l := def
			l.name = a
			lookups = append(lookups, &l)
			cur = &l
		}
	}
	if len(lookups) == 0 {
		l := def
		l.name = "."
		if !l.typeSet {
			l.qtype = dns.TypeNS
		}
		lookups = append(lookups, &l)
	}

	header := fmt.Sprintf("\n; <<>> DiG %s <<>> %s\n", digVersion(p), strings.Join(p.Args[1:], " "))
	rc := readResolvConf(p)
	var servers []digServer
	for _, n := range serverNames {
		if a, err := netip.ParseAddr(n); err == nil {
			servers = append(servers, digServer{addr: a, shown: n})
			continue
		}
		found, _ := lookupHost(p, n, 0)
		if len(found) == 0 {
			fmt.Fprintf(p.Stderr, "dig: couldn't get address for '%s': not found\n", n)
			return 1
		}
		for _, f := range found {
			servers = append(servers, digServer{addr: f.addr, shown: n})
		}
	}
	if len(serverNames) > 0 {
		s := "s"
		if len(servers) == 1 {
			s = ""
		}
		header += fmt.Sprintf("; (%d server%s found)\n", len(servers), s)
	}
	header += ";; global options: +cmd\n"
	if len(servers) == 0 {
		for _, s := range rc.servers {
			servers = append(servers, digServer{addr: s.Addr(), shown: s.Addr().String()})
		}
	}
	if len(servers) == 0 {
		servers = []digServer{{addr: netip.MustParseAddr("127.0.0.1"), shown: "127.0.0.1"}}
	}

	w := newOut(p.Stdout)
	status := 0
	headerDone := false
	printHeader := func(l *digLookup, failed bool) {
		if !headerDone && ((failed && !l.nocmd) || (l.cmd && !l.short)) {
			w.print(header)
		}
		headerDone = true
	}
	for _, l := range lookups {
		var use []digServer
		for _, s := range servers {
			if l.family == 0 || (l.family == 4) == s.addr.Is4() {
				use = append(use, s)
			}
		}
		names := []string{dns.Fqdn(l.name)}
		if l.search && !strings.HasSuffix(l.name, ".") {
			src := rc
			if l.ndots >= 0 {
				src.ndots = l.ndots
			}
			names = nil
			for _, c := range src.candidates(l.name) {
				names = append(names, dns.Fqdn(c))
			}
		}
		var (
			reply   *dns.Msg
			query   *dns.Msg
			from    digServer
			elapsed time.Duration
		)
		for i, n := range names {
			query = digQuery(l, n)
			reply, from, elapsed = digExchange(p, w, l, use, query)
			if reply == nil || reply.Rcode != dns.RcodeNameError || i == len(names)-1 {
				break
			}
		}
		if reply == nil {
			printHeader(l, true)
			w.print(";; no servers could be reached\n")
			status = 9
			continue
		}
		printHeader(l, false)
		w.print(digFormat(l, query, reply, from, elapsed))
	}
	return w.done(status)
}

// digOption applies one +option; it returns "invalid" for an option dig does not know, or
// dig's message for a bad value.
func digOption(l *digLookup, opt string) string {
	name, val, hasVal := strings.Cut(opt, "=")
	on := true
	if n, ok := strings.CutPrefix(name, "no"); ok && n != "" {
		name, on = n, false
	}
	number := func() (int, bool) {
		n, err := strconv.Atoi(val)
		return n, hasVal && err == nil && n >= 0
	}
	switch name {
	case "short":
		l.short = on
	case "search":
		l.search = on
	case "tcp", "vc":
		l.tcp = on
	case "recurse", "rec":
		l.recurse = on
	case "edns":
		l.edns = on
	case "cookie":
		l.cookie = on
	case "adflag":
		l.adflag = on
	case "cdflag":
		l.cdflag = on
	case "dnssec":
		l.dnssec = on
	case "all":
		l.cmd, l.comments, l.question, l.answer, l.authority, l.additional, l.stats = on, on, on, on, on, on, on
	case "cmd":
		l.cmd, l.nocmd = on, !on
	case "comments":
		l.comments = on
	case "question":
		l.question = on
	case "answer":
		l.answer = on
	case "authority":
		l.authority = on
	case "additional":
		l.additional = on
	case "stats":
		l.stats = on
	case "timeout", "time":
		n, ok := number()
		if !ok {
			return "invalid"
		}
		l.timeout = time.Duration(max(n, 1)) * time.Second
	case "tries":
		n, ok := number()
		if !ok {
			return "invalid"
		}
		l.tries = max(n, 1)
	case "retry":
		n, ok := number()
		if !ok {
			return "invalid"
		}
		l.tries = n + 1
	case "ndots":
		n, ok := number()
		if !ok {
			return "invalid"
		}
		l.ndots = min(n, 15)
	case "ttlid", "class", "crypto", "besteffort", "fail", "ignore", "keepopen", "identify", "nsid":
		// accepted; they change nothing the simulation prints
	default:
		return "invalid"
	}
	return ""
}

// digQuery is the message dig sends: recursion desired, the AD bit, and EDNS0 with a
// 1232-byte UDP size and a client cookie.
func digQuery(l *digLookup, name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, l.qtype)
	m.RecursionDesired = l.recurse
	m.AuthenticatedData = l.adflag
	m.CheckingDisabled = l.cdflag
	if l.edns {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		o.SetDo(l.dnssec)
		if l.cookie {
			var c [8]byte
			_, _ = rand.Read(c[:])
			o.Option = append(o.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: hex.EncodeToString(c[:])})
		}
		m.Extra = append(m.Extra, o)
	}
	return m
}

// digExchange sends q as dig retries: l.tries times to the first server, then once to each
// of the others, printing a line for each attempt that got no reply.
func digExchange(p *proc.Proc, w *out, l *digLookup, servers []digServer, q *dns.Msg) (*dns.Msg, digServer, time.Duration) {
	for i, s := range servers {
		tries := 1
		if i == 0 {
			tries = l.tries
		}
		for range tries {
			ctx, cancel := context.WithTimeout(p.Ctx, l.timeout)
			start := time.Now()
			reply, err := p.Sys.Exchange(ctx, netip.AddrPortFrom(s.addr, l.port), q.Copy())
			elapsed := time.Since(start)
			cancel()
			if err == nil && reply != nil {
				return reply, s, elapsed
			}
			if p.Ctx.Err() != nil {
				return nil, s, 0
			}
			why := "timed out"
			switch proc.Errno(err) {
			case syscall.ECONNREFUSED:
				why = "connection refused"
			case syscall.EHOSTUNREACH:
				why = "host unreachable"
			case syscall.ENETUNREACH:
				why = "network unreachable"
			}
			w.printf(";; communications error to %s#%d: %s\n", s.addr, l.port, why)
		}
	}
	return nil, digServer{}, 0
}

// digFormat renders a reply as dig prints it.
func digFormat(l *digLookup, q, r *dns.Msg, from digServer, elapsed time.Duration) string {
	var b strings.Builder
	if l.short {
		for _, rr := range r.Answer {
			b.WriteString(rdata(rr) + "\n")
		}
		return b.String()
	}
	if l.comments {
		b.WriteString(";; Got answer:\n")
		if len(r.Question) > 0 {
			if n := strings.ToLower(r.Question[0].Name); n == "local." || strings.HasSuffix(n, ".local.") {
				b.WriteString(";; WARNING: .local is reserved for Multicast DNS\n;; You are currently testing what happens when an mDNS query is leaked to DNS\n")
			}
		}
		fmt.Fprintf(&b, ";; ->>HEADER<<- opcode: %s, status: %s, id: %d\n", dns.OpcodeToString[r.Opcode], rcodeName(r.Rcode), r.Id)
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{r.Response, "qr"}, {r.Authoritative, "aa"}, {r.Truncated, "tc"}, {r.RecursionDesired, "rd"},
			{r.RecursionAvailable, "ra"}, {r.AuthenticatedData, "ad"}, {r.CheckingDisabled, "cd"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		fmt.Fprintf(&b, ";; flags: %s; QUERY: %d, ANSWER: %d, AUTHORITY: %d, ADDITIONAL: %d\n",
			strings.Join(flags, " "), len(r.Question), len(r.Answer), len(r.Ns), len(r.Extra))
		if q.RecursionDesired && !r.RecursionAvailable {
			b.WriteString(";; WARNING: recursion requested but not available\n")
		}
		b.WriteString("\n")
		if o := r.IsEdns0(); o != nil {
			b.WriteString(";; OPT PSEUDOSECTION:\n")
			do := ""
			if o.Do() {
				do = " do"
			}
			fmt.Fprintf(&b, "; EDNS: version: %d, flags:%s; udp: %d\n", o.Version(), do, o.UDPSize())
			for _, opt := range o.Option {
				if c, ok := opt.(*dns.EDNS0_COOKIE); ok {
					b.WriteString("; COOKIE: " + c.Cookie + cookieStatus(q, c.Cookie) + "\n")
				}
			}
		}
	}
	if l.question {
		if l.comments {
			b.WriteString(";; QUESTION SECTION:\n")
		}
		for _, qq := range r.Question {
			// the ';' is not counted: BIND prints it before the name's columns
			line := ";" + qq.Name
			col := len(qq.Name)
			line += indentTo(&col, 32) + dns.Class(qq.Qclass).String()
			col += len(dns.Class(qq.Qclass).String())
			line += indentTo(&col, 40) + dns.Type(qq.Qtype).String()
			b.WriteString(line + "\n")
		}
		if l.comments {
			b.WriteString("\n")
		}
	}
	section := func(on bool, title string, rrs []dns.RR) {
		var keep []dns.RR
		for _, rr := range rrs {
			if rr.Header().Rrtype != dns.TypeOPT {
				keep = append(keep, rr)
			}
		}
		if !on || len(keep) == 0 {
			return
		}
		if l.comments {
			b.WriteString(";; " + title + " SECTION:\n")
		}
		for _, rr := range keep {
			b.WriteString(digRR(rr) + "\n")
		}
		if l.comments {
			b.WriteString("\n")
		}
	}
	section(l.answer, "ANSWER", r.Answer)
	section(l.authority, "AUTHORITY", r.Ns)
	section(l.additional, "ADDITIONAL", r.Extra)
	if l.stats {
		proto := "UDP"
		if l.tcp {
			proto = "TCP"
		}
		size := r.Len()
		if wire, err := r.Pack(); err == nil {
			size = len(wire)
		}
		fmt.Fprintf(&b, ";; Query time: %d msec\n", elapsed.Milliseconds())
		fmt.Fprintf(&b, ";; SERVER: %s#%d(%s) (%s)\n", from.addr, l.port, from.shown, proto)
		fmt.Fprintf(&b, ";; WHEN: %s\n", time.Now().UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
		fmt.Fprintf(&b, ";; MSG SIZE  rcvd: %d\n\n", size)
	}
	return b.String()
}

// cookieStatus is what dig says of the cookie a server sent back: "(echoed)" when it is the
// client cookie alone, "(good)" when a server cookie follows it.
func cookieStatus(q *dns.Msg, got string) string {
	o := q.IsEdns0()
	if o == nil {
		return ""
	}
	for _, opt := range o.Option {
		c, ok := opt.(*dns.EDNS0_COOKIE)
		if !ok || !strings.HasPrefix(strings.ToLower(got), strings.ToLower(c.Cookie)) {
			continue
		}
		if len(got) == len(c.Cookie) {
			return " (echoed)"
		}
		return " (good)"
	}
	return ""
}

// digRR is one record in dig's columns: the TTL at 24, class at 32, type at 40 and the data
// at 48, tab-aligned as BIND's master-file printer does.
func digRR(rr dns.RR) string {
	h := rr.Header()
	fields := []struct {
		text string
		col  int
	}{
		{strconv.FormatUint(uint64(h.Ttl), 10), 24},
		{dns.Class(h.Class).String(), 32},
		{dns.Type(h.Rrtype).String(), 40},
		{rdata(rr), 48},
	}
	line := h.Name
	col := len(line)
	for _, f := range fields {
		line += indentTo(&col, f.col)
		line += f.text
		col += len(f.text)
	}
	return line
}

// indentTo is BIND's indent(): tabs (8 wide) up to column to, or one space when the text
// already reaches it.
func indentTo(col *int, to int) string {
	if to < *col+1 {
		to = *col + 1
	}
	var s strings.Builder
	from := *col
	if tabs := to/8 - from/8; tabs > 0 {
		s.WriteString(strings.Repeat("\t", tabs))
		from = to / 8 * 8
	}
	s.WriteString(strings.Repeat(" ", to-from))
	*col = to
	return s.String()
}

// rdata is a record's data in presentation format.
func rdata(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RESERVED" + strconv.Itoa(rc)
}

// reverseName is the PTR name dig -x asks for: ip6.arpa nibbles for an IPv6 address,
// in-addr.arpa for anything else with its labels reversed (dig does not check them).
func reverseName(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return ptrName(a.Unmap()) + "."
	}
	labels := strings.Split(strings.Trim(s, "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + ".in-addr.arpa."
}
