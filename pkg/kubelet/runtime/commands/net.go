package commands

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

func getent(p *proc.Proc) int {
	if len(p.Args) < 2 {
		if gnu(p) {
			fmt.Fprintln(p.Stderr, "Usage: getent [OPTION...] database [key ...]")
		}
		return 1
	}
	db, keys := p.Args[1], p.Args[2:]
	w := newOut(p.Stdout)
	switch db {
	case "hosts", "ahosts", "ahostsv4", "ahostsv6":
		if len(keys) == 0 {
			if db == "hosts" {
				for _, e := range readHosts(p) {
					w.printf("%-15s %s\n", e.addr, strings.Join(e.names, " "))
				}
			}
			return w.done(0)
		}
		status := 0
		for _, k := range keys {
			var found []hostAddr
			switch db {
			case "hosts":
				// getent hosts asks for IPv6 first and falls back to IPv4
				found, _ = lookupHost(p, k, 6)
				if len(found) == 0 {
					found, _ = lookupHost(p, k, 4)
				}
			case "ahostsv4":
				found, _ = lookupHost(p, k, 4)
			case "ahostsv6":
				found, _ = lookupHost(p, k, 6)
			default:
				found, _ = lookupHost(p, k, 0)
			}
			if len(found) == 0 {
				status = 2
				continue
			}
			if db == "hosts" {
				for _, f := range found {
					w.printf("%-15s %s\n", f.addr, strings.Join(append([]string{f.name}, f.aliases...), " "))
				}
				continue
			}
			for i, f := range found {
				for j, t := range []string{"STREAM", "DGRAM ", "RAW   "} {
					n := ""
					if i == 0 && j == 0 {
						n = " " + f.name
					}
					w.printf("%-15s %s%s\n", f.addr, strings.TrimRight(t, " "), n)
				}
			}
		}
		return w.done(status)
	case "passwd", "group":
		file := "/etc/" + db
		b, err := p.FS().ReadFile(file)
		if err != nil {
			return 2
		}
		status := 0
		var entries []string
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if l != "" {
				entries = append(entries, l)
			}
		}
		if len(keys) == 0 {
			for _, e := range entries {
				w.print(e + "\n")
			}
			return w.done(0)
		}
		for _, k := range keys {
			hit := false
			for _, e := range entries {
				f := strings.Split(e, ":")
				if len(f) > 2 && (f[0] == k || f[2] == k) {
					w.print(e + "\n")
					hit = true
					break
				}
			}
			if !hit {
				status = 2
			}
		}
		return w.done(status)
	}
	errorf(p, "Unknown database: %s", db)
	return 1
}

// nslookup is busybox's nslookup: A and AAAA queries (PTR for an address), the search list
// applied only to names without a dot, each reply printed as it came.
func nslookup(p *proc.Proc) int {
	args := p.Args[1:]
	qtypes := []proc.QType{proc.TypeA, proc.TypeAAAA}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		k, v, _ := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch strings.ToLower(k) {
		case "type", "querytype", "q", "query", "ty":
			switch strings.ToLower(v) {
			case "a":
				qtypes = []proc.QType{proc.TypeA}
			case "aaaa":
				qtypes = []proc.QType{proc.TypeAAAA}
			case "ptr":
				qtypes = []proc.QType{proc.TypePTR}
			case "srv":
				qtypes = []proc.QType{proc.TypeSRV}
			case "cname":
				qtypes = []proc.QType{proc.TypeCNAME}
			default:
				errorf(p, "invalid query type \"%s\"", v)
				return 1
			}
		case "debug", "port", "retry", "timeout", "t":
		default:
			return nslookupUsage(p)
		}
		args = args[1:]
	}
	if len(args) == 0 || len(args) > 2 {
		return nslookupUsage(p)
	}
	rc := readResolvConf(p)
	if len(args) == 2 {
		a, err := netip.ParseAddr(args[1])
		if err != nil {
			if found, _ := lookupHost(p, args[1], 0); len(found) > 0 {
				a = found[0].addr
			} else {
				errorf(p, "bad address '%s'", args[1])
				return 1
			}
		}
		rc.servers = []netip.AddrPort{netip.AddrPortFrom(a, 53)}
	}
	if len(rc.servers) == 0 {
		rc.servers = []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 53)}
	}
	type q struct {
		name string
		t    proc.QType
	}
	var qs []q
	name := args[0]
	if a, err := netip.ParseAddr(name); err == nil {
		qs = append(qs, q{ptrName(a), proc.TypePTR})
	} else {
		for _, t := range qtypes {
			if strings.Contains(name, ".") || len(rc.search) == 0 {
				qs = append(qs, q{name, t})
				continue
			}
			for _, s := range rc.search {
				qs = append(qs, q{name + "." + s, t})
			}
		}
	}
	w := newOut(p.Stdout)
	status := 0
	for _, s := range rc.servers {
		var answers []proc.Answer
		ok := true
		for _, x := range qs {
			ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
			a, err := resolve(ctx, p, s, x.name, x.t)
			cancel()
			if err != nil {
				ok = false
				break
			}
			answers = append(answers, a)
		}
		if !ok {
			continue
		}
		w.printf("Server:\t\t%s\nAddress:\t%s\n\n", s.Addr(), s)
		for i, a := range answers {
			x := qs[i]
			if a.RCode != proc.NoError {
				w.printf("** server can't find %s: %s\n", x.name, a.RCode)
				status = 1
			} else {
				if a.CNAME != "" {
					w.printf("%s\tcanonical name = %s\n", x.name, a.CNAME)
				}
				owner := x.name
				if a.CNAME != "" {
					owner = a.CNAME
				}
				for _, addr := range a.Addrs {
					w.printf("Name:\t%s\nAddress: %s\n", owner, addr)
				}
				for _, n := range a.Names {
					w.printf("%s\tname = %s\n", x.name, n)
				}
			}
			w.print("\n")
		}
		return w.done(status)
	}
	w.print(";; connection timed out; no servers could be reached\n")
	w.print("\n")
	return w.done(1)
}

func nslookupUsage(p *proc.Proc) int {
	fmt.Fprintln(p.Stderr, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any")
	return 1
}

func ptrName(a netip.Addr) string {
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", b[3], b[2], b[1], b[0])
	}
	b := a.As16()
	var s strings.Builder
	for i := 15; i >= 0; i-- {
		fmt.Fprintf(&s, "%x.%x.", b[i]&0xf, b[i]>>4)
	}
	s.WriteString("ip6.arpa")
	return s.String()
}

// mac derives a stable, locally administered MAC address from the pod's first IP, as a CNI
// plugin picks a random one.
func mac(p *proc.Proc) string {
	ips := p.Sys.PodIPs()
	seed := "none"
	if len(ips) > 0 {
		seed = ips[0].Addr().String()
	}
	h := sha256.Sum256([]byte(seed))
	h[0] = h[0]&0xfe | 0x02
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4], h[5])
}

func linkLocal(m string) string {
	var b [6]byte
	fmt.Sscanf(m, "%02x:%02x:%02x:%02x:%02x:%02x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5])
	return fmt.Sprintf("fe80::%x:%x:%x:%x", uint16(b[0]^2)<<8|uint16(b[1]), uint16(b[2])<<8|0xff, 0xfe00|uint16(b[3]), uint16(b[4])<<8|uint16(b[5]))
}

func peerIndex(p *proc.Proc) int {
	ips := p.Sys.PodIPs()
	if len(ips) == 0 {
		return 2
	}
	b := ips[0].Addr().AsSlice()
	return 4 + int(b[len(b)-1])
}

func ip(p *proc.Proc) int {
	args := p.Args[1:]
	family := 0
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-4":
			family = 4
		case "-6":
			family = 6
		case "-o", "-br", "-c", "-d", "-s":
		default:
			errorf(p, "Option \"%s\" is unknown, try \"ip -help\".", args[0])
			return 255
		}
		args = args[1:]
	}
	obj := "help"
	if len(args) > 0 {
		obj, args = args[0], args[1:]
	}
	w := newOut(p.Stdout)
	match := func(word string, full string) bool { return word != "" && strings.HasPrefix(full, word) }
	switch {
	case match(obj, "address") || obj == "a" || obj == "addr":
		dev := ""
		for i, a := range args {
			if (a == "dev" || a == "show" || a == "list") && i+1 < len(args) && args[i+1] != "dev" {
				dev = args[i+1]
			}
		}
		if dev != "" && dev != "lo" && dev != "eth0" && dev != "show" && dev != "list" {
			fmt.Fprintf(p.Stderr, "Device \"%s\" does not exist.\n", dev)
			return 1
		}
		m := mac(p)
		if dev == "" || dev == "lo" || dev == "show" || dev == "list" {
			w.print("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n")
			w.print("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
			if family != 6 {
				w.print("    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
			}
			if family != 4 {
				w.print("    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n")
			}
		}
		if dev == "" || dev == "eth0" || dev == "show" || dev == "list" {
			w.printf("2: eth0@if%d: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n", peerIndex(p))
			w.printf("    link/ether %s brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", m)
			for _, pre := range p.Sys.PodIPs() {
				if pre.Addr().Is4() && family != 6 {
					w.printf("    inet %s brd %s scope global eth0\n       valid_lft forever preferred_lft forever\n", pre, broadcast(pre))
				}
			}
			if family != 4 {
				for _, pre := range p.Sys.PodIPs() {
					if pre.Addr().Is6() {
						w.printf("    inet6 %s scope global \n       valid_lft forever preferred_lft forever\n", pre)
					}
				}
				w.printf("    inet6 %s/64 scope link \n       valid_lft forever preferred_lft forever\n", linkLocal(m))
			}
		}
	case match(obj, "link") || obj == "l":
		w.print("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n")
		w.print("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
		w.printf("2: eth0@if%d: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n", peerIndex(p))
		w.printf("    link/ether %s brd ff:ff:ff:ff:ff:ff link-netnsid 0\n", mac(p))
	case match(obj, "route") || obj == "r":
		for _, pre := range p.Sys.PodIPs() {
			pfx := pre.Masked()
			if pre.Addr().Is4() && family != 6 {
				gw := pfx.Addr().Next()
				w.printf("default via %s dev eth0 \n%s dev eth0 proto kernel scope link src %s \n", gw, pfx, pre.Addr())
			}
			if pre.Addr().Is6() && family == 6 {
				w.printf("%s dev eth0 proto kernel metric 256 pref medium\nfe80::/64 dev eth0 proto kernel metric 256 pref medium\ndefault via %s dev eth0 metric 1024 pref medium\n", pfx, pfx.Addr().Next())
			}
		}
	default:
		fmt.Fprintln(p.Stderr, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\nwhere  OBJECT := { address | link | route }")
		if obj == "help" {
			return 255
		}
		fmt.Fprintf(p.Stderr, "Object \"%s\" is unknown, try \"ip help\".\n", obj)
		return 255
	}
	return w.done(0)
}

func broadcast(pre netip.Prefix) netip.Addr {
	b := pre.Masked().Addr().As4()
	host := uint32(1)<<(32-pre.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// dialError is a failure to connect, with the errno curl and wget report.
type dialError struct {
	addr netip.AddrPort
	err  error
	dns  bool
}

func (d *dialError) Error() string { return d.err.Error() }

// httpClient is an HTTP/1.1 client whose connections go through the pod's simulated network.
func httpClient(p *proc.Proc, timeout time.Duration, follow bool) *http.Client {
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, portS, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			port, _ := strconv.Atoi(portS)
			found, lerr := lookupHost(p, host, 0)
			if len(found) == 0 && strings.EqualFold(host, "localhost") {
				// curl and wget know localhost without asking the resolver
				found = []hostAddr{{addr: netip.MustParseAddr("127.0.0.1"), name: host}}
			}
			if len(found) == 0 {
				return nil, &dialError{err: lerr, dns: true}
			}
			// every address is tried; the first failure is the one reported
			var first error
			for _, f := range found {
				ap := netip.AddrPortFrom(f.addr, uint16(port))
				c, err := p.Sys.Dial(ctx, ap)
				if err == nil {
					return c, nil
				}
				if first == nil {
					first = &dialError{addr: ap, err: err}
				}
			}
			return nil, first
		},
	}
	c := &http.Client{Transport: tr, Timeout: timeout}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

func asDialError(err error) *dialError {
	var d *dialError
	if errors.As(err, &d) {
		return d
	}
	return nil
}

func wget(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "qO:T:SsUcY:P:", "spider", "quiet", "timeout=", "output-document=", "user-agent=", "header=", "no-check-certificate", "server-response")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) == 0 {
		fmt.Fprintln(p.Stderr, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...")
		return 1
	}
	quiet := o.has('q') || hasLong(o, "quiet")
	// busybox's default -T is 900 s; a connection the network drops fails sooner, when the
	// network gives up (the kernel's connect timeout)
	timeout := 900 * time.Second
	tv, hasT := o.val['T']
	if v, ok := o.long["timeout"]; ok {
		tv, hasT = v, true
	}
	if hasT {
		n, err := strconv.Atoi(tv)
		if err != nil || n < 0 {
			errorf(p, "invalid number '%s'", tv)
			return 1
		}
		timeout = time.Duration(n) * time.Second
	}
	outName, toFile := o.val['O'], o.has('O')
	if v, ok := o.long["output-document"]; ok {
		outName, toFile = v, true
	}
	status := 0
	for _, raw := range o.args {
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			errorf(p, "bad address '%s'", raw)
			status = 1
			continue
		}
		host := u.Hostname()
		port := u.Port()
		if port == "" {
			port = map[string]string{"https": "443"}[u.Scheme]
			if port == "" {
				port = "80"
			}
		}
		found, _ := lookupHost(p, host, 0)
		found = preferred(found)
		if len(found) == 0 {
			errorf(p, "bad address '%s'", host)
			status = 1
			continue
		}
		if !quiet {
			// busybox shows the URL's host part (with the port only if the URL has one)
			fmt.Fprintf(p.Stderr, "Connecting to %s (%s)\n", u.Host, net.JoinHostPort(found[0].addr.String(), port))
		}
		if u.Scheme == "https" {
			errorf(p, "error getting response: Connection reset by peer")
			status = 1
			continue
		}
		method := http.MethodGet
		if hasLong(o, "spider") {
			method = http.MethodHead
		}
		ctx, cancel := context.WithTimeout(p.Ctx, timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, method, u.String(), nil)
		req.Header.Set("User-Agent", "Wget")
		resp, err := httpClient(p, 0, true).Do(req)
		if err != nil {
			switch d := asDialError(err); {
			case p.Ctx.Err() != nil:
				return 1
			case ctx.Err() != nil:
				errorf(p, "download timed out")
			case d != nil && d.dns:
				errorf(p, "bad address '%s'", host)
			case d != nil && d.addr.Addr().Is4():
				errorf(p, "can't connect to remote host (%s): %s", d.addr.Addr(), proc.Strerror(d.err))
			case d != nil:
				errorf(p, "can't connect to remote host: %s", proc.Strerror(d.err))
			default:
				errorf(p, "error getting response: %s", proc.Strerror(syscall.ECONNRESET))
			}
			status = 1
			continue
		}
		if o.has('S') || hasLong(o, "server-response") {
			fmt.Fprintf(p.Stderr, "  %s %s\n", resp.Proto, resp.Status)
			keys := make([]string, 0, len(resp.Header))
			for k := range resp.Header {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				for _, v := range resp.Header[k] {
					fmt.Fprintf(p.Stderr, "  %s: %s\n", k, v)
				}
			}
			fmt.Fprint(p.Stderr, "  \n")
		}
		if resp.StatusCode >= 400 {
			resp.Body.Close()
			errorf(p, "server returned error: %s %s", resp.Proto, resp.Status)
			status = 1
			continue
		}
		if hasLong(o, "spider") {
			resp.Body.Close()
			if !quiet {
				fmt.Fprintln(p.Stderr, "remote file exists")
			}
			continue
		}
		var w io.Writer = p.Stdout
		shown := "stdout"
		if !toFile || outName != "-" {
			if !toFile {
				outName = path.Base(u.Path)
				if outName == "/" || outName == "." || outName == "" {
					outName = "index.html"
				}
			}
			h, err := p.OpenFile(outName, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
			if err != nil {
				resp.Body.Close()
				errorf(p, "can't open '%s': %s", outName, proc.Strerror(err))
				status = 1
				continue
			}
			defer h.Close()
			w, shown = h, "'"+outName+"'"
		}
		if !quiet {
			fmt.Fprintf(p.Stderr, "%s %s\n", map[bool]string{true: "writing to", false: "saving to"}[shown == "stdout"], shown)
		}
		n, err := io.Copy(w, resp.Body)
		resp.Body.Close()
		if err != nil {
			status = 1
			continue
		}
		if !quiet {
			label := "-"
			if shown != "stdout" {
				label = outName
			}
			fmt.Fprintf(p.Stderr, "%-20s 100%% |********************************| %5d  0:00:00 ETA\n", label, n)
			if shown == "stdout" {
				fmt.Fprintln(p.Stderr, "written to stdout")
			} else {
				fmt.Fprintf(p.Stderr, "%s saved\n", shown)
			}
		}
	}
	return status
}
