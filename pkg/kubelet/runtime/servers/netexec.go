package servers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

const netexecLong = `Starts a HTTP(S) server on given port with the following endpoints:

- /: Returns the request's timestamp.
- /clientip: Returns the request's IP address.
- /header: Returns the request's header value corresponding to the key provided or the entire
  header marshalled as json, if no form value (key) is provided.
  ("/header?key=X-Forwarded-For" or /header)
- /dial: Creates a given number of requests to the given host and port using the given protocol,
  and returns a JSON with the fields "responses" (successful request responses) and "errors" (
  failed request responses).
- "/echo": Returns the given "msg" ("/echo?msg=echoed_msg"), with the optional status "code".
- "/exit": Closes the server with the given code and graceful shutdown.
- "/healthz": Returns "200 OK" if the server is healthy, "412 Status Precondition Failed"
  otherwise.
- "/readyz": Returns "200 OK" if the server is ready to receive traffic.
- "/hostname": Returns the server's hostname.
- "/hostName": Returns the server's hostname.
- "/redirect": Returns a redirect response to the given "location", with the optional status "code".
- "/shell": Executes the given "shellCommand" or "cmd" ("/shell?cmd=some-command").
- "/shutdown": Closes the server with the exit code 0.
- "/upload": Accepts a file to be uploaded, writing it in the "/uploads" folder on the host.

It will also start a UDP server on the indicated UDP port and addresses that responds to the
following commands: "hostname", "echo <msg>", "clientip".
`

// netexecServer is one run of agnhost netexec.
type netexecServer struct {
	p       *proc.Proc
	log     *log.Logger
	start   time.Time
	ready   atomic.Bool
	sigterm chan struct{}
	exits   chan netexecExit
}

type netexecExit struct {
	code    int
	timeout time.Duration
}

func netexec(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("netexec")
	httpPort := fs.Int("http-port", 8080, "HTTP Listen Port")
	certFile := fs.String("tls-cert-file", "", "File containing an x509 certificate for HTTPS. (CA cert, if any, concatenated after server cert)")
	fs.String("tls-private-key-file", "", "File containing an x509 private key matching --tls-cert-file")
	udpPort := fs.Int("udp-port", 8081, "UDP Listen Port")
	sctpPort := fs.Int("sctp-port", -1, "SCTP Listen Port")
	override := fs.String("http-override", "", "Override the HTTP handler to always respond as if it were a GET with this path & params")
	udpAddrs := fs.String("udp-listen-addresses", "", "A comma separated list of ip addresses the udp servers listen from")
	delay := fs.Int("delay-shutdown", 0, "Number of seconds to delay shutdown when receiving SIGTERM.")
	if code, done := agnhostParse(p, "netexec", fs, args); done {
		return code
	}
	if *certFile != "" {
		fmt.Fprintf(p.Stderr, "%s netexec --tls-cert-file: not simulated by fakecluster's container runtime\n", p.Args[0])
		return 1
	}
	n := &netexecServer{p: p, log: goLogger(p), start: time.Now(), sigterm: make(chan struct{}), exits: make(chan netexecExit, 1)}
	sigs := newGoSignals(p, proc.SIGTERM)

	mux := http.NewServeMux()
	n.routes(mux)
	var h http.Handler = mux
	if *override != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req, err := http.NewRequestWithContext(r.Context(), "GET", *override, nil)
			if err != nil {
				http.Error(w, fmt.Sprintf("override request failed: %v", err), http.StatusInternalServerError)
				return
			}
			mux.ServeHTTP(w, req)
		})
	}
	// the UDP and SCTP servers only log and report ready: the simulated network carries TCP
	var udpBind []string
	if *udpPort != -1 {
		bind, err := netexecAddresses(*udpAddrs)
		if err != nil {
			n.log.Print(err)
			return 1
		}
		udpBind = bind
	}
	n.log.Printf("Started HTTP server on port %d", *httpPort)
	srv, err := serveGoHTTP(p, *httpPort, h, n.log)
	if err != nil {
		n.log.Print(err)
		return 1
	}
	defer srv.Close()
	for _, a := range udpBind {
		n.log.Printf("Started UDP server on port %s %d", a, *udpPort)
		n.ready.Store(true)
	}
	if *sctpPort != -1 {
		n.log.Printf("Started SCTP server")
		n.ready.Store(true)
	}

	var stopping <-chan time.Time
	for {
		select {
		case <-p.Ctx.Done():
			return 137
		case <-stopping:
			return 0
		case e := <-n.exits:
			if e.timeout == 0 {
				return e.code
			}
			ctx, cancel := context.WithTimeout(p.Ctx, e.timeout)
			err := srv.Shutdown(ctx)
			cancel()
			n.log.Printf("Graceful shutdown completed with: %v", err)
			return e.code
		case s := <-sigs.C:
			deliver, status, dies := sigs.filter(s)
			if dies {
				return status
			}
			if !deliver || stopping != nil {
				continue
			}
			select {
			case <-n.sigterm:
				continue
			default:
			}
			close(n.sigterm)
			if *delay <= 0 {
				return 0
			}
			n.log.Printf("Sleeping %d seconds before terminating...", *delay)
			stopping = time.After(time.Duration(*delay) * time.Second)
		}
	}
}

// netexecAddresses is netexec's parseAddresses: the UDP bind addresses, deduplicated and
// sorted, or the wildcard.
func netexecAddresses(s string) ([]string, error) {
	if s == "" {
		return []string{""}, nil
	}
	set := map[string]bool{}
	for _, a := range strings.Split(s, ",") {
		if _, err := netip.ParseAddr(a); err != nil && net.ParseIP(a) == nil {
			return nil, fmt.Errorf("parseAddress: invalid address %s", a)
		}
		set[a] = true
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

func (n *netexecServer) routes(mux *http.ServeMux) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /")
		fmt.Fprintf(w, "NOW: %v", goTime(time.Now(), n.start))
	})
	mux.HandleFunc("/clientip", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /clientip")
		fmt.Fprint(w, r.RemoteAddr)
	})
	mux.HandleFunc("/header", func(w http.ResponseWriter, r *http.Request) {
		if key := r.FormValue("key"); key != "" {
			n.log.Printf("GET /header?key=%s", key)
			fmt.Fprintf(w, "%s", r.Header.Get(key))
			return
		}
		n.log.Printf("GET /header")
		data, err := json.Marshal(r.Header)
		if err != nil {
			fmt.Fprintf(w, "error marshalling header, err: %v", err)
			return
		}
		fmt.Fprintf(w, "%s", data)
	})
	mux.HandleFunc("/dial", n.dial)
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		msg, codeString := r.FormValue("msg"), r.FormValue("code")
		n.log.Printf("GET /echo?msg=%s&code=%s", msg, codeString)
		if codeString != "" {
			code, err := strconv.Atoi(codeString)
			if err != nil {
				fmt.Fprintf(w, "argument 'code' must be an integer or empty, got %q\n", codeString)
				return
			}
			w.WriteHeader(code)
		}
		fmt.Fprintf(w, "%s", msg)
	})
	mux.HandleFunc("/exit", n.exit)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /healthz")
		if n.ready.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusPreconditionFailed)
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /readyz")
		select {
		case <-n.sigterm:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down"))
		default:
			if n.ready.Load() {
				_, _ = w.Write([]byte("ok"))
				return
			}
			w.WriteHeader(http.StatusPreconditionFailed)
		}
	})
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /hostname")
		fmt.Fprint(w, n.hostname())
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		location, codeString := r.FormValue("location"), r.FormValue("code")
		n.log.Printf("%s /redirect?msg=%s&code=%s", r.Method, location, codeString)
		code := http.StatusFound
		if codeString != "" {
			var err error
			if code, err = strconv.Atoi(codeString); err != nil {
				fmt.Fprintf(w, "argument 'code' must be an integer or empty, got %q\n", codeString)
				return
			}
		}
		http.Redirect(w, r, location, code)
	})
	mux.HandleFunc("/shell", n.shell)
	mux.HandleFunc("/upload", n.upload)
	mux.HandleFunc("/hostName", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /hostName")
		fmt.Fprint(w, n.hostname())
	})
	mux.HandleFunc("/shutdown", func(w http.ResponseWriter, r *http.Request) {
		n.log.Printf("GET /shutdown")
		hangUp(w)
		n.exit0()
	})
}

func (n *netexecServer) hostname() string {
	h := n.p.Sys.Hostname()
	n.log.Printf("hostname: %s", h)
	return h
}

func (n *netexecServer) exit0() {
	select {
	case n.exits <- netexecExit{}:
	default:
	}
}

// exit is /exit: with no timeout the process exits at once (os.Exit: the request gets no
// answer); otherwise it answers, stops listening and gives the open requests timeout to end.
func (n *netexecServer) exit(w http.ResponseWriter, r *http.Request) {
	waitString, timeoutString, codeString := r.FormValue("wait"), r.FormValue("timeout"), r.FormValue("code")
	n.log.Printf("GET /exit?code=%s&timeout=%s&wait=%s", codeString, timeoutString, waitString)
	timeout, err := time.ParseDuration(timeoutString)
	if err != nil && timeoutString != "" {
		fmt.Fprintf(w, "argument 'timeout' must be a valid golang duration or empty, got %q\n", timeoutString)
		return
	}
	wait, err := time.ParseDuration(waitString)
	if err != nil && waitString != "" {
		fmt.Fprintf(w, "argument 'wait' must be a valid golang duration or empty, got %q\n", waitString)
		return
	}
	code, err := strconv.Atoi(codeString)
	if err != nil && codeString != "" {
		fmt.Fprintf(w, "argument 'code' must be an integer [0-127] or empty, got %q\n", codeString)
		return
	}
	n.log.Printf("Will begin shutdown in %s, allowing %s for connections to close, then will exit with %d", wait, timeout, code)
	if !sleepCtx(n.p.Ctx, wait) {
		return
	}
	if timeout == 0 {
		hangUp(w)
	}
	select {
	case n.exits <- netexecExit{code: code, timeout: timeout}:
	default:
	}
}

// syncBuffer collects a child's combined output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// shell is /shell: sh -c in the container, its combined output and exec's error as JSON.
func (n *netexecServer) shell(w http.ResponseWriter, r *http.Request) {
	cmd := r.FormValue("shellCommand")
	if cmd == "" {
		cmd = r.FormValue("cmd")
	}
	n.log.Printf("GET /shell?cmd=%s", cmd)
	var out syncBuffer
	child := &proc.Proc{Args: []string{"/bin/sh", "-c", cmd}, Env: n.p.Env, Dir: n.p.Dir, Stdin: proc.Empty{}, Stdout: &out, Stderr: &out}
	code, err := n.p.Sys.Exec(child)
	output := map[string]string{}
	if out.b.Len() > 0 {
		output["output"] = out.b.String()
	}
	switch {
	case err != nil:
		msg := proc.Strerror(err)
		output["error"] = "fork/exec /bin/sh: " + strings.ToLower(msg[:1]) + msg[1:]
	case code != 0:
		output["error"] = fmt.Sprintf("exit status %d", code)
	}
	n.log.Printf("Output: %s", output)
	b, err := json.Marshal(output)
	if err != nil {
		http.Error(w, fmt.Sprintf("response could not be serialized. %v", err), http.StatusExpectationFailed)
		return
	}
	fmt.Fprint(w, string(b))
}

// upload is /upload: the multipart "file" written to /uploads/upload<random>.
func (n *netexecServer) upload(w http.ResponseWriter, r *http.Request) {
	n.log.Printf("GET /upload")
	// fail answers result as the error and logs what went wrong
	fail := func(result, what string, err error) {
		b, _ := json.Marshal(map[string]string{"error": result})
		fmt.Fprint(w, string(b))
		n.log.Printf("%s: %s", what, err)
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		fail("Unable to upload file.", "Unable to upload file", err)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		fail("Unable to write file.", "Unable to write file", err)
		return
	}
	name := "/uploads/upload" + strconv.FormatUint(uint64(rand.Uint32()), 10)
	if err := n.p.FS().WriteFile(name, data, 0o600); err != nil {
		fail("Unable to open file for write", "Unable to open file for write", err)
		return
	}
	if err := n.p.FS().Chmod(name, 0o700); err != nil {
		fail("Unable to chmod file.", "Unable to chmod file", err)
		return
	}
	n.log.Printf("Wrote upload to %s", name)
	w.WriteHeader(http.StatusCreated)
	b, _ := json.Marshal(map[string]string{"output": name})
	fmt.Fprint(w, string(b))
}

// dial is /dial for protocol http (the default): the request sent tries times to host:port
// through the pod's network.
func (n *netexecServer) dial(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	host, port, request, protocol, tryParam := q.Get("host"), q.Get("port"), q.Get("request"), q.Get("protocol"), q.Get("tries")
	n.log.Printf("GET /dial?host=%s&protocol=%s&port=%s&request=%s&tries=%s", host, protocol, port, request, tryParam)
	tries := 1
	var err error
	if len(tryParam) > 0 {
		tries, err = strconv.Atoi(tryParam)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("tries parameter is invalid. %v", err), http.StatusBadRequest)
		return
	}
	if len(request) == 0 {
		http.Error(w, fmt.Sprintf("request parameter not specified. %v", err), http.StatusBadRequest)
		return
	}
	switch strings.ToLower(protocol) {
	case "", "http":
	case "udp", "sctp":
		http.Error(w, fmt.Sprintf("protocol %s is not simulated by fakecluster's container runtime", protocol), http.StatusBadRequest)
		return
	default:
		http.Error(w, fmt.Sprintf("unsupported protocol. %s", protocol), http.StatusBadRequest)
		return
	}
	addr, err := n.resolveTCP(r.Context(), host, port)
	if err != nil {
		http.Error(w, fmt.Sprintf("host and/or port param are invalid. %v", err), http.StatusBadRequest)
		return
	}
	errs, responses := []string{}, []string{}
	var response string
	for range tries {
		response, err = n.dialHTTP(request, addr)
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			responses = append(responses, response)
		}
	}
	output := map[string][]string{}
	if len(response) > 0 {
		output["responses"] = responses
	}
	if len(errs) > 0 {
		output["errors"] = errs
	}
	b, _ := json.Marshal(output)
	fmt.Fprint(w, string(b))
}

// resolveTCP is net.ResolveTCPAddr("tcp", host:port) in the container.
func (n *netexecServer) resolveTCP(ctx context.Context, host, port string) (netip.AddrPort, error) {
	pn := 0
	if port != "" {
		v, err := strconv.Atoi(port)
		if err != nil || v < 0 || v > 65535 {
			return netip.AddrPort{}, &net.DNSError{Err: "unknown port", Name: "tcp/" + port, IsNotFound: true}
		}
		pn = v
	}
	if host == "" {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(pn)), nil
	}
	addrs, err := goResolver{n.p}.lookup(ctx, host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	// ResolveTCPAddr prefers an IPv4 address
	a := addrs[0]
	for _, x := range addrs {
		if x.Is4() {
			a = x
			break
		}
	}
	return netip.AddrPortFrom(a, uint16(pn)), nil
}

func (n *netexecServer) dialHTTP(request string, addr netip.AddrPort) (string, error) {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, address string) (net.Conn, error) {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return nil, err
		}
		return n.p.Sys.Dial(ctx, ap)
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	req, err := http.NewRequestWithContext(n.p.Ctx, http.MethodGet, fmt.Sprintf("http://%s/%s", net.TCPAddrFromAddrPort(addr), request), nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return string(body), nil
}
