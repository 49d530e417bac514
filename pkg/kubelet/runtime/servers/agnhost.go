package servers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// AgnhostVersion is the version the simulated agnhost reports (/agnhost --version); every
// tag of the image runs this program.
const AgnhostVersion = "2.53"

// agnhost is registry.k8s.io/e2e-test-images/agnhost's /agnhost: a cobra command ("app")
// run through k8s.io/component-base/cli, whose subcommands are the test servers.
func agnhost(p *proc.Proc) int {
	args := p.Args[1:]
	at := -1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			if agnhostTakesValue(a) {
				i++
			}
			continue
		}
		at = i
		break
	}
	if at < 0 {
		return agnhostRoot(p, args)
	}
	name := args[at]
	rest := append(append([]string(nil), args[:at]...), args[at+1:]...)
	if name == "help" {
		if len(rest) == 0 {
			fmt.Fprint(p.Stdout, agnhostRootUsage())
			return 0
		}
		name, rest = rest[0], []string{"--help"}
	}
	cmd, ok := agnhostCommands()[name]
	if !ok {
		for _, n := range agnhostUnsimulated() {
			if n == name {
				fmt.Fprintf(p.Stderr, "%s %s: not simulated by fakecluster's container runtime\n", p.Args[0], name)
				return 1
			}
		}
		fmt.Fprintf(p.Stderr, "Error: unknown command %q for \"app\"\n", name)
		return 1
	}
	return cmd.run(p, rest)
}

type agnhostCommand struct {
	short, long string
	run         func(*proc.Proc, []string) int
}

func agnhostCommands() map[string]agnhostCommand {
	return map[string]agnhostCommand{
		"netexec": {short: "Creates HTTP(S), UDP, and (optionally) SCTP servers with various endpoints",
			long: netexecLong, run: netexec},
		"serve-hostname": {short: "Serves the hostname", long: "Serves the hostname through HTTP / TCP / UDP on the given port.", run: serveHostname},
		"pause": {short: "Pauses the execution",
			long: "Pauses the execution. Useful for keeping the containers running, so other commands can be executed.", run: agnhostPause},
		"test-webserver": {short: "Starts a simple HTTP fileserver",
			long: "Starts a simple HTTP fileserver on the given --port, which serves any file specified in the URL path, if it exists.", run: testWebserver},
		"porter": {short: "Serves requested data on ports specified in ENV variables",
			long: "Serves requested data on ports specified in environment variables of the form SERVE_{PORT,TCP_PORT,UDP_PORT,TLS_PORT,SCTP_PORT}_[NNNN].", run: porter},
		"liveness": {short: "Starts a server that is alive for 10 seconds",
			long: "A simple server that is alive for 10 seconds, then reports unhealthy for the rest of its (hopefully) short existence. " +
				"Failures can be emulated by passing parameters to specific URLs.", run: liveness},
	}
}

// agnhostUnsimulated are agnhost's other subcommands: they exist but say they are not
// simulated.
func agnhostUnsimulated() []string {
	return []string{"audit-proxy", "connect", "crd-conversion-webhook", "dns-suffix", "dns-server-list", "etc-hosts",
		"entrypoint-tester", "fake-gitserver", "grpc-health-checking", "guestbook", "inclusterclient", "logs-generator",
		"mounttest", "net", "nettest", "no-snat-test", "no-snat-test-proxy", "port-forward-tester",
		"resource-consumer-controller", "tcp-reset", "test-service-account-issuer-discovery", "webhook", "completion"}
}

// agnhostTakesValue reports whether a persistent (logging) flag written without "=" takes the
// next argument as its value.
func agnhostTakesValue(a string) bool {
	switch a {
	case "-v", "--v", "--vmodule", "--log-flush-frequency":
		return true
	}
	return false
}

// klogLevel is klog's -v flag value.
type klogLevel int

func (l *klogLevel) String() string { return strconv.Itoa(int(*l)) }
func (l *klogLevel) Type() string   { return "Level" }
func (l *klogLevel) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	*l = klogLevel(n)
	return nil
}

// agnhostGlobalFlags are the logging flags cli.Run adds to every command.
func agnhostGlobalFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("global", pflag.ContinueOnError)
	var v klogLevel
	fs.VarP(&v, "v", "v", "number for the log level verbosity")
	fs.String("vmodule", "", "comma-separated list of pattern=N settings for file-filtered logging (only works for text log format)")
	fs.Duration("log-flush-frequency", 5*time.Second, "Maximum number of seconds between log flushes")
	return fs
}

func agnhostFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, n string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(n, "_", "-"))
	})
	return fs
}

func agnhostRootUsage() string {
	cmds := agnhostCommands()
	names := make([]string, 0, len(cmds)+1)
	for n := range cmds {
		names = append(names, n)
	}
	names = append(names, "help")
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage:\n  app [command]\n\nAvailable Commands:\n")
	for _, n := range names {
		short := cmds[n].short
		if n == "help" {
			short = "Help about any command"
		}
		fmt.Fprintf(&b, "  %-15s %s\n", n, short)
	}
	root := agnhostFlagSet("app")
	root.BoolP("help", "h", false, "help for app")
	root.Bool("version", false, "version for app")
	root.AddFlagSet(agnhostGlobalFlags())
	b.WriteString("\nFlags:\n" + root.FlagUsages() + "\nUse \"app [command] --help\" for more information about a command.\n")
	return b.String()
}

// agnhostRoot is /agnhost with flags only: --version, or the help.
func agnhostRoot(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("app")
	help := fs.BoolP("help", "h", false, "help for app")
	version := fs.Bool("version", false, "version for app")
	fs.AddFlagSet(agnhostGlobalFlags())
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(p.Stderr, agnhostRootUsage())
		fmt.Fprintf(p.Stderr, "Error: %v\n", err)
		return 1
	}
	if *version && !*help {
		fmt.Fprintf(p.Stdout, "app version %s\n", AgnhostVersion)
		return 0
	}
	fmt.Fprint(p.Stdout, agnhostRootUsage())
	return 0
}

// agnhostParse parses a subcommand's arguments as cobra does under cli.Run: a flag error
// prints the usage and the error on stderr (status 1), --help prints the help (status 0),
// and positional arguments are refused. done says the command ends with code.
func agnhostParse(p *proc.Proc, name string, fs *pflag.FlagSet, args []string) (code int, done bool) {
	help := fs.BoolP("help", "h", false, "help for "+name)
	local := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) { local.AddFlag(f) })
	global := agnhostGlobalFlags()
	fs.AddFlagSet(global)
	usage := "Usage:\n  app " + name + " [flags]\n\nFlags:\n" + local.FlagUsages() + "\nGlobal Flags:\n" + global.FlagUsages()
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(p.Stderr, usage)
		fmt.Fprintf(p.Stderr, "Error: %v\n", err)
		return 1, true
	}
	if *help {
		fmt.Fprint(p.Stdout, strings.TrimSpace(agnhostCommands()[name].long)+"\n\n"+usage)
		return 0, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(p.Stderr, "Error: accepts at most 0 arg(s), received %d\n", fs.NArg())
		return 1, true
	}
	return 0, false
}

// hangUp closes the connection of a request without answering, as the end of the process
// does to a request in flight.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

// sleepCtx sleeps for d or until ctx ends; false when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serveHostname is agnhost serve-hostname: the pod's hostname over HTTP (or raw TCP) on
// --port.
func serveHostname(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("serve-hostname")
	doTCP := fs.Bool("tcp", false, "Serve raw over TCP.")
	doUDP := fs.Bool("udp", false, "Serve raw over UDP.")
	doHTTP := fs.Bool("http", true, "Serve HTTP.")
	doClose := fs.Bool("close", false, "Close connection per each HTTP request.")
	port := fs.Int("port", 9376, "Port number.")
	if code, done := agnhostParse(p, "serve-hostname", fs, args); done {
		return code
	}
	l := goLogger(p)
	if *doHTTP && (*doTCP || *doUDP) {
		l.Print("Can't serve TCP/UDP mode and HTTP mode at the same time")
		return 1
	}
	hostname := p.Sys.Hostname()
	sigs := newGoSignals(p, proc.SIGTERM)
	if *doTCP {
		_, err := listen(p, *port, func(c net.Conn) {
			l.Printf("TCP request from %s", c.RemoteAddr().String())
			_, _ = c.Write([]byte(hostname))
		})
		if err != nil {
			l.Printf("Error from net.Listen(): %s", goListenError(*port, err))
			return 1
		}
	}
	// --udp: the simulated network carries no UDP, so nothing answers
	if *doHTTP {
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			l.Printf("HTTP request from %s", r.RemoteAddr)
			if *doClose {
				w.Header().Add("Connection", "close")
			}
			fmt.Fprintf(w, "%s", hostname)
		})
		srv, err := serveGoHTTP(p, *port, mux, l)
		if err != nil {
			l.Print(err)
			return 1
		}
		defer srv.Close()
	}
	l.Printf("Serving on port %d.\n", *port)
	for {
		select {
		case <-p.Ctx.Done():
			return 137
		case s := <-sigs.C:
			deliver, status, dies := sigs.filter(s)
			if dies {
				return status
			}
			if !deliver {
				continue
			}
			l.Printf("Shutting down after receiving signal: %s.\n", goSignalName(s))
			l.Printf("Awaiting pod deletion.\n")
			if !sleepCtx(p.Ctx, 60*time.Second) {
				return 137
			}
			return 0
		}
	}
}

// agnhostPause is agnhost pause: "Paused", then exit 1 on SIGINT and 2 on SIGTERM.
func agnhostPause(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("pause")
	if code, done := agnhostParse(p, "pause", fs, args); done {
		return code
	}
	sigs := newGoSignals(p, proc.SIGINT, proc.SIGTERM)
	fmt.Fprintln(p.Stdout, "Paused")
	for {
		select {
		case <-p.Ctx.Done():
			return 137
		case s := <-sigs.C:
			deliver, status, dies := sigs.filter(s)
			if dies {
				return status
			}
			if !deliver {
				continue
			}
			if s == proc.SIGINT {
				return 1
			}
			return 2
		}
	}
}

// waitGoSignals runs a Go program with no signal handling of its own until a signal ends it.
func waitGoSignals(p *proc.Proc) int {
	sigs := newGoSignals(p)
	for {
		select {
		case <-p.Ctx.Done():
			return 137
		case s := <-sigs.C:
			if _, status, dies := sigs.filter(s); dies {
				return status
			}
		}
	}
}

// testWebserver is agnhost test-webserver: http.FileServer of the container's / on --port.
func testWebserver(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("test-webserver")
	port := fs.Int("port", 80, "Port number.")
	if code, done := agnhostParse(p, "test-webserver", fs, args); done {
		return code
	}
	l := goLogger(p)
	files := http.StripPrefix("/", http.FileServer(containerFS{p}))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "DNT,X-Mx-ReqToken,Keep-Alive,User-Agent,X-Requested-With,Cache-Control,Content-Type")
		r.Header.Del("If-Modified-Since")
		files.ServeHTTP(w, r)
	})
	srv, err := serveGoHTTP(p, *port, mux, l)
	if err != nil {
		l.Print(err)
		return 1
	}
	defer srv.Close()
	return waitGoSignals(p)
}

// porter is agnhost porter: every SERVE_PORT_<n> (or SERVE_TCP_PORT_<n>) variable's value
// served over HTTP on port n.
func porter(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("porter")
	jsonResponse := fs.Bool("json-response", false, "Responds to requests with a json response that includes the default value with the http.Request Method")
	if code, done := agnhostParse(p, "porter", fs, args); done {
		return code
	}
	l := goLogger(p)
	for _, kv := range p.Env {
		key, value, _ := strings.Cut(kv, "=")
		var port string
		switch {
		case strings.HasPrefix(key, "SERVE_PORT_"):
			port = strings.TrimPrefix(key, "SERVE_PORT_")
		case strings.HasPrefix(key, "SERVE_TCP_PORT_"):
			port = strings.TrimPrefix(key, "SERVE_TCP_PORT_")
		case strings.HasPrefix(key, "SERVE_UDP_PORT_"):
			// the simulated network carries no UDP: the server starts and hears nothing
			l.Printf("Started UDP server on port %s", strings.TrimPrefix(key, "SERVE_UDP_PORT_"))
			continue
		default:
			continue
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := value
			if *jsonResponse {
				j, err := json.Marshal(&struct{ Method, Body string }{r.Method, value})
				if err != nil {
					http.Error(w, fmt.Sprintf("Internal Server Error: %v", err), 500)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				body = string(j)
			}
			fmt.Fprint(w, body)
		})
		n, err := goListenAddr("0.0.0.0:" + port)
		if err == nil {
			var srv *goHTTPServer
			if srv, err = serveGoHTTP(p, n, h, l); err == nil {
				defer srv.Close()
				continue
			}
		}
		l.Printf("server on port %q failed: %v", port, err)
	}
	return waitGoSignals(p)
}

// liveness is agnhost liveness: /healthz is 200 for the first 10 seconds and 500 after.
func liveness(p *proc.Proc, args []string) int {
	fs := agnhostFlagSet("liveness")
	if code, done := agnhostParse(p, "liveness", fs, args); done {
		return code
	}
	l := goLogger(p)
	started := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/started", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(time.Since(started).String()))
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		d := time.Since(started)
		if d.Seconds() > 10 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(fmt.Sprintf("error: %v", d.Seconds())))
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		loc, err := url.QueryUnescape(r.URL.Query().Get("loc"))
		if err != nil {
			http.Error(w, fmt.Sprintf("invalid redirect: %q", r.URL.Query().Get("loc")), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, loc, http.StatusFound)
	})
	srv, err := serveGoHTTP(p, 8080, mux, l)
	if err != nil {
		l.Print(err)
		return 1
	}
	defer srv.Close()
	return waitGoSignals(p)
}
