package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// curlOpts is curl's command line.
type curlOpts struct {
	silent, showErr, verbose, head, include, fail, follow bool
	method                                                string
	data                                                  string
	hasData                                               bool
	headers                                               []string
	userAgent                                             string
	user                                                  string
	output                                                string
	toFile, remoteName                                    bool
	maxTime, connectTimeout                               time.Duration
	family                                                int
	writeOut                                              string
	hasWriteOut                                           bool
}

const curlVersion = "curl 8.11.1 (x86_64-alpine-linux-musl) libcurl/8.11.1 OpenSSL/3.3.2 zlib/1.3.1 brotli/1.1.0 zstd/1.5.6 c-ares/1.34.3 libidn2/2.3.7 libpsl/0.21.5 nghttp2/1.64.0\nRelease-Date: 2024-12-11\nProtocols: dict file ftp ftps gopher gophers http https imap imaps ipfs ipns mqtt pop3 pop3s rtsp smb smbs smtp smtps telnet tftp ws wss\nFeatures: alt-svc AsynchDNS brotli HSTS HTTP2 HTTPS-proxy IDN IPv6 Largefile libz NTLM PSL SSL threadsafe TLS-SRP UnixSockets zstd"

// curl is curl 8.11.1 for plain HTTP: its -v trace ("*   Trying", "> ", "< ", "{ [N bytes
// data]"), the progress meter on stderr when the output is not a terminal, -I, -i, -H, -d,
// -o/-O, -L, -f, -w, -4/-6, --connect-timeout, -m and its error texts and exit codes. The
// connection is dialled through the pod's network; with no timeout given, a connection to an
// address that does not answer fails when the network gives up (its connect timeout),
// as the kernel's SYN retries would end it after about two minutes.
func curl(p *proc.Proc) int {
	const spec = "sSvIiLfko:Om:H:X:d:w:A:u:46"
	longs := []string{"silent", "show-error", "verbose", "head", "include",
		"location", "fail", "insecure", "output=", "max-time=", "connect-timeout=", "header=", "request=", "data=",
		"data-raw=", "data-binary=", "write-out=", "user-agent=", "user=", "version", "help", "http1.1", "noproxy=",
		"retry=", "url=", "remote-name", "ipv4", "ipv6"}
	quiet := *p
	quiet.Stderr = io.Discard
	o, ok := getopt(&quiet, p.Args[1:], spec, longs...)
	if !ok {
		fmt.Fprintf(p.Stderr, "curl: %s\ncurl: try 'curl --help' for more information\n", curlBadOption(p.Args[1:], spec, longs))
		return 2
	}
	if len(p.Args) == 1 {
		fmt.Fprintln(p.Stderr, "curl: try 'curl --help' for more information")
		return 2
	}
	if hasLong(o, "version") {
		fmt.Fprintln(p.Stdout, curlVersion)
		return 0
	}
	if hasLong(o, "help") {
		fmt.Fprint(p.Stdout, "Usage: curl [options...] <url>\n -d, --data <data>           HTTP POST data\n -f, --fail                  Fail fast with no output on HTTP errors\n -h, --help <subject>        Get help for commands\n -i, --include               Include response headers in output\n -o, --output <file>         Write to file instead of stdout\n -O, --remote-name           Write output to file named as remote file\n -s, --silent                Silent mode\n -T, --upload-file <file>    Transfer local FILE to destination\n -u, --user <user:password>  Server user and password\n -A, --user-agent <name>     Send User-Agent <name> to server\n -v, --verbose               Make the operation more talkative\n -V, --version               Show version number and quit\n\nThis is not the full help; this menu is split into categories.\nUse \"--help category\" to get an overview of all categories.\nUse \"--help all\" to list all options\n")
		return 0
	}
	c := curlOpts{
		silent: o.has('s') || hasLong(o, "silent"), showErr: o.has('S') || hasLong(o, "show-error"),
		verbose: o.has('v') || hasLong(o, "verbose"), head: o.has('I') || hasLong(o, "head"),
		fail: o.has('f') || hasLong(o, "fail"), follow: o.has('L') || hasLong(o, "location"),
		userAgent: "curl/8.11.1",
	}
	c.include = o.has('i') || hasLong(o, "include")
	seconds := func(v string) (time.Duration, bool) {
		d, err := strconv.ParseFloat(v, 64)
		return time.Duration(d * float64(time.Second)), err == nil && d >= 0
	}
	for _, k := range []struct {
		short byte
		long  string
		dst   *time.Duration
	}{{'m', "max-time", &c.maxTime}, {0, "connect-timeout", &c.connectTimeout}} {
		v, ok := o.val[k.short]
		if lv, lok := o.long[k.long]; lok {
			v, ok = lv, true
		}
		if !ok {
			continue
		}
		d, good := seconds(v)
		if !good {
			fmt.Fprintf(p.Stderr, "curl: option --%s: expected a proper numerical parameter\ncurl: try 'curl --help' for more information\n", k.long)
			return 2
		}
		*k.dst = d
	}
	c.method = o.val['X']
	if v, ok := o.long["request"]; ok {
		c.method = v
	}
	var data []string
	data = append(data, o.vals['d']...)
	for _, k := range []string{"data", "data-raw", "data-binary"} {
		data = append(data, o.longs[k]...)
	}
	if len(data) > 0 {
		c.data, c.hasData = strings.Join(data, "&"), true
	}
	c.headers = append(append([]string(nil), o.vals['H']...), o.longs["header"]...)
	if v, ok := o.val['A']; ok {
		c.userAgent = v
	}
	if v, ok := o.long["user-agent"]; ok {
		c.userAgent = v
	}
	c.user = o.val['u']
	if v, ok := o.long["user"]; ok {
		c.user = v
	}
	c.output, c.toFile = o.val['o'], o.has('o')
	if v, ok := o.long["output"]; ok {
		c.output, c.toFile = v, true
	}
	c.remoteName = o.has('O') || hasLong(o, "remote-name")
	if o.has('4') || hasLong(o, "ipv4") {
		c.family = 4
	}
	if o.has('6') || hasLong(o, "ipv6") {
		c.family = 6
	}
	c.writeOut, c.hasWriteOut = o.val['w'], o.has('w')
	if v, ok := o.long["write-out"]; ok {
		c.writeOut, c.hasWriteOut = v, true
	}
	switch {
	case c.method != "":
	case c.head:
		c.method = http.MethodHead
	case c.hasData:
		c.method = http.MethodPost
	default:
		c.method = http.MethodGet
	}
	urls := o.args
	if v, ok := o.long["url"]; ok {
		urls = append(urls, v)
	}
	if len(urls) == 0 {
		fmt.Fprintln(p.Stderr, "curl: (2) no URL specified\ncurl: try 'curl --help' for more information")
		return 2
	}
	status := 0
	for _, raw := range urls {
		if code := curlOne(p, &c, raw); code != 0 {
			status = code
		}
	}
	return status
}

// curlBadOption is curl's complaint about the first option getopt refused.
func curlBadOption(args []string, spec string, longs []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if n, ok := strings.CutPrefix(a, "--"); ok {
			n, _, hasV := strings.Cut(n, "=")
			switch {
			case slices.Contains(longs, n):
			case slices.Contains(longs, n+"="):
				if !hasV && i+1 == len(args) {
					return "option " + a + ": requires parameter"
				}
			default:
				return "option " + a + ": is unknown"
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(spec, a[j])
			if k < 0 || a[j] == ':' {
				return "option " + a + ": is unknown"
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				if j+1 == len(a) && i+1 == len(args) {
					return "option " + a + ": requires parameter"
				}
				break
			}
		}
	}
	return "option: is unknown"
}

// curlResult is what -w reports of a transfer.
type curlResult struct {
	code     int
	resp     *http.Response
	size     int64
	remote   netip.AddrPort
	url      string
	elapsed  time.Duration
	errormsg string
}

// curlOne fetches one URL, following redirects with -L.
func curlOne(p *proc.Proc, c *curlOpts, raw string) int {
	toStdout := !(c.toFile && c.output != "-") && !c.remoteName
	stderr := &lockedWriter{w: p.Stderr}
	meter := &curlMeter{w: stderr, on: !c.silent && (!p.TTY || !toStdout), start: time.Now()}
	trace := &curlTrace{w: stderr, on: c.verbose, dataShown: p.TTY}
	fatal := func(res *curlResult, code int, format string, args ...any) int {
		msg := fmt.Sprintf(format, args...)
		res.code, res.errormsg = code, msg
		if !c.silent || c.showErr {
			fmt.Fprintf(p.Stderr, "curl: (%d) %s\n", code, msg)
		}
		if c.hasWriteOut {
			fmt.Fprint(p.Stdout, curlWriteOut(c.writeOut, res))
		}
		return code
	}
	meter.header()
	res := &curlResult{url: raw}
	ctx := p.Ctx
	if c.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.maxTime)
		defer cancel()
	}
	var prev *url.URL
	for hops := 0; ; hops++ {
		u, err := curlParseURL(raw, prev)
		if err != nil {
			return fatal(res, 3, "URL rejected: Malformed input to a URL function")
		}
		res.url = u.String()
		if u.Scheme != "http" && u.Scheme != "https" {
			return fatal(res, 1, "Protocol \"%s\" not supported", u.Scheme)
		}
		host := u.Hostname()
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		portN, err := strconv.Atoi(port)
		if err != nil || portN > 65535 {
			return fatal(res, 3, "URL rejected: Port number was not a decimal number between 0 and 65535")
		}
		meter.line(0, false, 0)
		addrs, err := curlResolve(p, host, c.family)
		if err != nil {
			trace.info("Could not resolve host: %s", host)
			trace.info("shutting down connection #0")
			if !c.verbose {
				meter.line(0, false, 0)
			}
			return fatal(res, 6, "Could not resolve host: %s", host)
		}
		if _, lerr := netip.ParseAddr(host); lerr != nil {
			trace.info("Host %s:%d was resolved.", host, portN)
			var v4, v6 []string
			for _, a := range addrs {
				if a.Is4() {
					v4 = append(v4, a.String())
				} else {
					v6 = append(v6, a.String())
				}
			}
			none := func(s []string) string {
				if len(s) == 0 {
					return "(none)"
				}
				return strings.Join(s, ", ")
			}
			trace.info("IPv6: %s", none(v6))
			trace.info("IPv4: %s", none(v4))
		}
		conn, remote, err := curlConnect(p, ctx, c, trace, meter, host, addrs, portN)
		if err != nil {
			ms := time.Since(meter.start).Milliseconds()
			var failed *curlConnectError
			switch {
			case errors.As(err, &failed):
				trace.info("Failed to connect to %s port %d after %d ms: Could not connect to server", host, portN, ms)
				meter.line(0, false, 0)
				meter.end()
				trace.info("closing connection #0")
				code := 7
				if errors.Is(failed.err, syscall.ETIMEDOUT) {
					code = 28
				}
				return fatal(res, code, "Failed to connect to %s port %d after %d ms: Could not connect to server", host, portN, ms)
			case p.Ctx.Err() != nil:
				return 1
			default:
				trace.info("Connection timed out after %d milliseconds", ms)
				meter.end()
				trace.info("closing connection #0")
				return fatal(res, 28, "Connection timed out after %d milliseconds", ms)
			}
		}
		res.remote = remote
		trace.info("Connected to %s (%s) port %d", host, remote.Addr(), portN)
		trace.info("using HTTP/1.x")
		if u.Scheme == "https" {
			conn.Close()
			trace.info("closing connection #0")
			meter.end()
			return fatal(res, 35, "OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number")
		}
		next, code := curlRequest(p, ctx, c, trace, meter, conn, u, res)
		if code != 0 || next == "" {
			if code != 0 {
				return fatal(res, code, "%s", res.errormsg)
			}
			if c.hasWriteOut {
				fmt.Fprint(p.Stdout, curlWriteOut(c.writeOut, res))
			}
			return 0
		}
		if hops >= 50 {
			return fatal(res, 47, "Maximum (50) redirects followed")
		}
		trace.info("Issue another request to this URL: '%s'", next)
		prev, raw = u, next
	}
}

// curlParseURL reads a URL as curl does: http:// when no scheme is given; relative to base
// for a redirect.
func curlParseURL(raw string, base *url.URL) (*url.URL, error) {
	if base != nil {
		ref, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		return base.ResolveReference(ref), nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("malformed")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

// curlResolve is curl's resolver: address literals, localhost without asking, getaddrinfo
// otherwise, in its order.
func curlResolve(p *proc.Proc, host string, family int) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	var out []netip.Addr
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		out = []netip.Addr{netip.IPv6Loopback(), netip.MustParseAddr("127.0.0.1")}
	} else {
		found, err := lookupHost(p, host, 0)
		if len(found) == 0 {
			return nil, err
		}
		for _, f := range preferred(found) {
			out = append(out, f.addr)
		}
	}
	var keep []netip.Addr
	for _, a := range out {
		if family == 0 || (family == 4) == a.Is4() {
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return nil, errNoName
	}
	return keep, nil
}

// curlConnectError is every address refusing or failing; err is the first failure.
type curlConnectError struct{ err error }

func (e *curlConnectError) Error() string { return e.err.Error() }

// curlConnect tries the addresses in turn ("*   Trying"), within --connect-timeout.
func curlConnect(p *proc.Proc, ctx context.Context, c *curlOpts, trace *curlTrace, meter *curlMeter, host string, addrs []netip.Addr, port int) (net.Conn, netip.AddrPort, error) {
	dctx := ctx
	if c.connectTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, c.connectTimeout)
		defer cancel()
	}
	stop := meter.ticking(dctx)
	defer stop()
	var first error
	for _, a := range addrs {
		to := netip.AddrPortFrom(a, uint16(port))
		trace.info("  Trying %s...", to)
		conn, err := p.Sys.Dial(dctx, to)
		if err == nil {
			return conn, to, nil
		}
		if dctx.Err() != nil {
			return nil, to, dctx.Err()
		}
		src := curlSource(p, a)
		trace.info("connect to %s port %d from %s port %d failed: %s", a, port, src.Addr(), src.Port(), proc.Strerror(err))
		if first == nil {
			first = err
		}
	}
	return nil, netip.AddrPort{}, &curlConnectError{err: first}
}

// curlSource is the local end a failed connect would have had: the pod's address of the
// family (loopback for loopback) and an ephemeral port.
func curlSource(p *proc.Proc, to netip.Addr) netip.AddrPort {
	h := fnv.New32a()
	h.Write(to.AsSlice())
	port := uint16(32768 + h.Sum32()%28232)
	if to.IsLoopback() {
		return netip.AddrPortFrom(to, port)
	}
	for _, pre := range p.Sys.PodIPs() {
		if pre.Addr().Is4() == to.Is4() {
			return netip.AddrPortFrom(pre.Addr(), port)
		}
	}
	return netip.AddrPortFrom(to, port)
}

// curlRequest sends the request on conn and reads the response into the output. It returns
// the redirect to follow (with -L), or a curl exit code with res.errormsg set.
func curlRequest(p *proc.Proc, ctx context.Context, c *curlOpts, trace *curlTrace, meter *curlMeter, conn net.Conn, u *url.URL, res *curlResult) (string, int) {
	defer conn.Close()
	stopWatch := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopWatch()
	fail := func(code int, format string, args ...any) (string, int) {
		res.errormsg = fmt.Sprintf(format, args...)
		return "", code
	}
	hostHdr := u.Host
	if port := u.Port(); port == "80" && u.Scheme == "http" {
		hostHdr = strings.TrimSuffix(u.Host, ":80")
	}
	// header is one request header line as curl sends it; -H lines go out as typed
	type header struct{ name, line string }
	builtin := func(name, value string) header { return header{name, name + ": " + value} }
	hdrs := []header{builtin("Host", hostHdr)}
	if c.user != "" {
		user, _, _ := strings.Cut(c.user, ":")
		trace.info("Server auth using Basic with user '%s'", user)
		hdrs = append(hdrs, builtin("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.user))))
	}
	hdrs = append(hdrs, builtin("User-Agent", c.userAgent), builtin("Accept", "*/*"))
	var custom []header
	for _, h := range c.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			// "Name;" sends the header with no value
			if n, empty := strings.CutSuffix(h, ";"); empty {
				custom = append(custom, header{n, n + ":"})
			}
			continue
		}
		name = strings.TrimSpace(name)
		removed := strings.TrimSpace(value) == ""
		replaced := false
		var keep []header
		for _, x := range hdrs {
			if !strings.EqualFold(x.name, name) {
				keep = append(keep, x)
				continue
			}
			replaced = true
			if !removed {
				keep = append(keep, header{name, h})
			}
		}
		hdrs = keep
		if !replaced && !removed {
			custom = append(custom, header{name, h})
		}
	}
	hdrs = append(hdrs, custom...)
	if c.hasData {
		hdrs = append(hdrs, builtin("Content-Length", strconv.Itoa(len(c.data))))
		if !curlHasHeader(c.headers, "Content-Type") {
			hdrs = append(hdrs, builtin("Content-Type", "application/x-www-form-urlencoded"))
		}
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\n", c.method, u.RequestURI())
	for _, h := range hdrs {
		req.WriteString(h.line + "\r\n")
	}
	req.WriteString("\r\n")
	trace.block("> ", req.String())
	if c.hasData {
		req.WriteString(c.data)
	}
	if _, err := conn.Write(req.Bytes()); err != nil {
		return fail(55, "Failed sending data to the peer")
	}
	if c.hasData {
		trace.data("} ", len(c.data))
		trace.info("upload completely sent off: %d bytes", len(c.data))
	} else {
		trace.info("Request completely sent off")
	}

	br := bufio.NewReader(conn)
	var head []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if ctx.Err() != nil {
				ms := time.Since(meter.start).Milliseconds()
				return fail(28, "Operation timed out after %d milliseconds with 0 bytes received", ms)
			}
			if len(head) == 0 && line == "" {
				trace.info("Empty reply from server")
				trace.info("shutting down connection #0")
				return fail(52, "Empty reply from server")
			}
			return fail(56, "Recv failure: %s", proc.Strerror(syscall.ECONNRESET))
		}
		head = append(head, line)
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(strings.Join(head, "")), br)), &http.Request{Method: c.method})
	if err != nil {
		return fail(1, "Unsupported HTTP version in response")
	}
	defer resp.Body.Close()
	res.resp = resp
	if resp.ProtoMajor == 1 && resp.ProtoMinor == 0 {
		trace.info("HTTP 1.0, assume close after body")
	}
	for _, l := range head[:len(head)-1] {
		trace.block("< ", l)
	}
	if c.fail && resp.StatusCode >= 400 {
		trace.info("The requested URL returned error: %d", resp.StatusCode)
		trace.block("< ", head[len(head)-1])
		trace.info("closing connection #0")
		meter.line(0, false, 0)
		meter.end()
		return fail(22, "The requested URL returned error: %d", resp.StatusCode)
	}
	trace.block("< ", head[len(head)-1])
	keepAlive := resp.ProtoAtLeast(1, 1) && !resp.Close
	location := resp.Header.Get("Location")
	if c.follow && location != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		trace.info("Ignoring the response-body")
		trace.info("setting size while ignoring")
		_, _ = io.Copy(io.Discard, resp.Body)
		if keepAlive {
			trace.info("Connection #0 to host %s left intact", u.Hostname())
		} else {
			trace.info("shutting down connection #0")
		}
		return location, 0
	}

	var w io.Writer = p.Stdout
	if c.toFile || c.remoteName {
		name := c.output
		if c.remoteName {
			name = path.Base(u.Path)
			if name == "/" || name == "." || name == "" {
				return fail(23, "Remote filename has no length")
			}
		}
		if name != "-" {
			h, err := p.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
			if err != nil {
				return fail(23, "Failure writing output to destination")
			}
			defer h.Close()
			w = h
		}
	}
	if c.include || c.head {
		if _, err := io.WriteString(w, strings.Join(head, "")); err != nil {
			return fail(23, "Failure writing output to destination")
		}
	}
	total, known := resp.ContentLength, resp.ContentLength >= 0
	if c.method == http.MethodHead {
		total, known = curlContentLength(resp), true
		meter.line(total, known, 0)
		meter.end()
		curlDone(trace, u, keepAlive)
		return "", 0
	}
	if known {
		meter.line(total, true, 0)
	}
	var n int64
	buf := make([]byte, 16384)
	for {
		k, err := resp.Body.Read(buf)
		if k > 0 {
			trace.data("{ ", k)
			if _, werr := w.Write(buf[:k]); werr != nil {
				trace.info("Failure writing output to destination, passed %d returned 0", k)
				return fail(23, "Failure writing output to destination, passed %d returned 0", k)
			}
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			res.size = n
			ms := time.Since(meter.start).Milliseconds()
			if ctx.Err() != nil {
				if known {
					return fail(28, "Operation timed out after %d milliseconds with %d out of %d bytes received", ms, n, total)
				}
				return fail(28, "Operation timed out after %d milliseconds with %d bytes received", ms, n)
			}
			if known {
				return fail(18, "end of response with %d bytes missing", total-n)
			}
			return fail(56, "Recv failure: %s", proc.Strerror(syscall.ECONNRESET))
		}
	}
	res.size = n
	res.elapsed = time.Since(meter.start)
	if !known {
		total = n
	}
	meter.line(total, known, n)
	meter.end()
	curlDone(trace, u, keepAlive)
	return "", 0
}

// curlContentLength is the Content-Length a HEAD response announces (0 if none).
func curlContentLength(resp *http.Response) int64 {
	n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func curlDone(trace *curlTrace, u *url.URL, keepAlive bool) {
	if keepAlive {
		trace.info("Connection #0 to host %s left intact", u.Hostname())
	} else {
		trace.info("shutting down connection #0")
	}
}

func curlHasHeader(hs []string, name string) bool {
	for _, h := range hs {
		if n, _, ok := strings.Cut(h, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return true
		}
	}
	return false
}

// curlTrace is the -v output: "* " lines, headers sent and received, and a "[N bytes
// data]" note for the first data after each of them, unless stdout is a terminal (curl then
// leaves the data to speak for itself).
type curlTrace struct {
	w         io.Writer
	on        bool
	dataShown bool
	dataDone  bool
}

func (t *curlTrace) info(format string, args ...any) {
	if t.on {
		fmt.Fprintf(t.w, "* "+format+"\n", args...)
		t.dataDone = false
	}
}

// block prints header lines as sent or received, each with its CRLF, behind prefix.
func (t *curlTrace) block(prefix, text string) {
	if !t.on {
		return
	}
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			fmt.Fprint(t.w, prefix+l)
		}
	}
	t.dataDone = false
}

func (t *curlTrace) data(prefix string, n int) {
	if !t.on || t.dataShown || t.dataDone {
		return
	}
	t.dataDone = true
	fmt.Fprintf(t.w, "%s[%d bytes data]\n", prefix, n)
}

// curlMeter is curl's progress meter, drawn on stderr with carriage returns: its header, a
// line when the transfer starts, one a second while it waits, one when the size is known
// and a last one, then a newline.
type curlMeter struct {
	w     io.Writer
	on    bool
	start time.Time
	drawn bool
}

func (m *curlMeter) header() {
	if m.on {
		fmt.Fprint(m.w, "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"+
			"                                 Dload  Upload   Total   Spent    Left  Speed\n")
	}
}

// line draws the meter for cur bytes received of total (known or not).
func (m *curlMeter) line(total int64, known bool, cur int64) {
	if !m.on {
		return
	}
	m.drawn = true
	spent := time.Since(m.start)
	us := max(spent.Microseconds(), 1000)
	speed := cur * 1000000 / us
	if cur == 0 {
		speed = 0
	}
	expected := cur
	if known {
		expected = total
	}
	var estSecs int64
	dlPct := int64(0)
	if known && speed > 0 {
		estSecs = total / speed
		dlPct = curlPercent(total, cur)
	}
	curSecs := int64(spent / time.Second)
	left := int64(0)
	if estSecs > 0 {
		left = estSecs - curSecs
	}
	fmt.Fprintf(m.w, "\r%3d %s  %3d %s  %3d %s  %s  %s %s %s %s %s",
		curlPercent(expected, cur), max5(expected), dlPct, max5(cur), 0, max5(0),
		max5(speed), max5(0), time2str(estSecs), time2str(curSecs), time2str(left), max5(speed))
}

// ticking redraws the meter once a second until the returned stop is called or ctx ends.
func (m *curlMeter) ticking(ctx context.Context) func() {
	if !m.on {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				m.line(0, false, 0)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (m *curlMeter) end() {
	if m.on && m.drawn {
		fmt.Fprint(m.w, "\n")
	}
}

func curlPercent(total, cur int64) int64 {
	switch {
	case total > 10000:
		return cur / (total / 100)
	case total > 0:
		return cur * 100 / total
	}
	return 0
}

// max5 is curl's five-character size: bytes, then k, M (one decimal below 100M), G, T, P.
func max5(n int64) string {
	const k, m, g, t = 1024, 1024 * 1024, 1024 * 1024 * 1024, 1024 * 1024 * 1024 * 1024
	switch {
	case n < 100000:
		return fmt.Sprintf("%5d", n)
	case n < 10000*k:
		return fmt.Sprintf("%4dk", n/k)
	case n < 100*m:
		return fmt.Sprintf("%2d.%dM", n/m, (n%m)/(m/10))
	case n < 10000*m:
		return fmt.Sprintf("%4dM", n/m)
	case n < 100*g:
		return fmt.Sprintf("%2d.%dG", n/g, (n%g)/(g/10))
	case n < 10000*g:
		return fmt.Sprintf("%4dG", n/g)
	case n < 10000*t:
		return fmt.Sprintf("%4dT", n/t)
	}
	return fmt.Sprintf("%4dP", n/(t*1024))
}

// time2str is curl's "HH:MM:SS" column, "--:--:--" for nothing.
func time2str(secs int64) string {
	if secs <= 0 {
		return "--:--:--"
	}
	h := secs / 3600
	if h <= 99 {
		return fmt.Sprintf("%2d:%02d:%02d", h, (secs-h*3600)/60, secs%60)
	}
	d := secs / 86400
	if d <= 999 {
		return fmt.Sprintf("%3dd %02dh", d, (secs-d*86400)/3600)
	}
	return fmt.Sprintf("%7dd", d)
}

// curlWriteOut expands -w's variables; a transfer that failed reports code 000.
func curlWriteOut(f string, r *curlResult) string {
	code, ctype, version := "000", "", "0"
	if r.resp != nil {
		code = fmt.Sprintf("%03d", r.resp.StatusCode)
		ctype = r.resp.Header.Get("Content-Type")
		version = strconv.Itoa(r.resp.ProtoMajor)
		if r.resp.ProtoMinor > 0 {
			version += "." + strconv.Itoa(r.resp.ProtoMinor)
		}
	}
	remoteIP, remotePort := "", ""
	if r.remote.IsValid() {
		remoteIP, remotePort = r.remote.Addr().String(), strconv.Itoa(int(r.remote.Port()))
	}
	secs := fmt.Sprintf("%.6f", r.elapsed.Seconds())
	return strings.NewReplacer(
		"%{http_code}", code, "%{response_code}", code,
		"%{size_download}", strconv.FormatInt(r.size, 10),
		"%{content_type}", ctype, "%{time_total}", secs, "%{time_connect}", secs,
		"%{time_starttransfer}", secs, "%{remote_ip}", remoteIP, "%{remote_port}", remotePort,
		"%{url_effective}", r.url, "%{http_version}", version, "%{exitcode}", strconv.Itoa(r.code),
		"%{errormsg}", r.errormsg, "%{num_connects}", "1",
		`\n`, "\n", `\t`, "\t", `\r`, "\r",
	).Replace(f)
}

// lockedWriter serialises writes from the meter's ticker and the trace.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
