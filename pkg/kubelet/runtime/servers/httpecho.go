package servers

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// HTTPEchoVersion is the version of hashicorp/http-echo's current image (1.0, 1.0.0 and
// latest); HTTPEchoLegacyVersion is that of the 0.2.3 image, which predates ECHO_TEXT and
// -status-code.
const (
	HTTPEchoVersion       = "1.0.0"
	HTTPEchoLegacyVersion = "0.2.3"
)

// httpEcho is hashicorp/http-echo 1.0.0: the text of -text (or $ECHO_TEXT) and a newline for
// every path, {"status":"ok"} on /health, an access log line per request on stdout.
func httpEcho(p *proc.Proc) int { return runHTTPEcho(p, false) }

// httpEchoLegacy is hashicorp/http-echo 0.2.3.
func httpEchoLegacy(p *proc.Proc) int { return runHTTPEcho(p, true) }

func runHTTPEcho(p *proc.Proc, legacy bool) int {
	fs := flag.NewFlagSet(p.Args[0], flag.ContinueOnError)
	fs.SetOutput(p.Stderr)
	listenFlag := fs.String("listen", ":5678", "address and port to listen")
	textFlag := fs.String("text", "", "text to put on the webpage")
	versionFlag := fs.Bool("version", false, "display version information")
	statusFlag := new(int)
	if !legacy {
		statusFlag = fs.Int("status-code", 200, "http response code, e.g.: 200")
	} else {
		*statusFlag = http.StatusOK
	}
	if err := fs.Parse(p.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	version := HTTPEchoVersion
	if legacy {
		version = HTTPEchoLegacyVersion
	}
	if *versionFlag {
		if legacy {
			fmt.Fprintf(p.Stderr, "http-echo v%s (f375b4d)\n", version)
		} else {
			fmt.Fprintf(p.Stdout, "http-echo v%s (866d8f8313e92d96f940c2f0cf807abe934ab145)\nBuilt: 2023-10-10T20:43:58Z\n", version)
		}
		return 0
	}
	text := *textFlag
	if !legacy && text == "" {
		text = p.Getenv("ECHO_TEXT")
	}
	if text == "" {
		if legacy {
			fmt.Fprintln(p.Stderr, "Missing -text option!")
		} else {
			fmt.Fprintln(p.Stderr, "Missing -text option or ECHO_TEXT env var!")
		}
		return 127
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(p.Stderr, "Too many arguments!")
		return 127
	}

	l := goLogger(p)
	appHeaders := func(code int, h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-App-Name", "http-echo")
			w.Header().Set("X-App-Version", version)
			if !legacy {
				w.WriteHeader(code)
			}
			h(w, r)
		}
	}
	var logMu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/", httpEchoLog(p.Stdout, &logMu, appHeaders(*statusFlag, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, text)
	})))
	mux.HandleFunc("/health", appHeaders(http.StatusOK, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"status":"ok"}`)
	}))

	port, err := goListenAddr(*listenFlag)
	var srv *goHTTPServer
	if err == nil {
		srv, err = serveGoHTTP(p, port, mux, l)
	}
	if legacy {
		// 0.2.3 listens before it logs, and gives up with 127
		if err != nil {
			l.Printf("[ERR] Error starting server: %s", err)
			return 127
		}
		l.Printf("Server is listening on %s\n", *listenFlag)
	} else {
		l.Printf("[INFO] server is listening on %s\n", *listenFlag)
		if err != nil {
			l.Printf("[ERR] server exited with: %s", err)
			return 1
		}
	}
	defer srv.Close()

	if legacy {
		// signal.Notify(ch) with no signals: every signal is caught, only SIGINT ends it
		sigs := p.Sys.Notify(proc.SIGHUP, proc.SIGINT, proc.SIGQUIT, proc.SIGUSR1, proc.SIGUSR2, proc.SIGPIPE, proc.SIGALRM,
			proc.SIGTERM, proc.SIGCHLD, proc.SIGCONT, proc.SIGTSTP, proc.SIGURG, proc.SIGWINCH)
		for {
			select {
			case <-p.Ctx.Done():
				return 137
			case s := <-sigs:
				if s == proc.SIGINT {
					l.Printf("[INFO] Received interrupt")
					return 2
				}
				l.Printf("[ERR] Unknown signal %v", goSignalName(s))
			}
		}
	}
	sigs := newGoSignals(p, proc.SIGINT, proc.SIGTERM)
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
			l.Printf("[INFO] received interrupt, shutting down...")
			ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
			err := srv.Shutdown(ctx)
			cancel()
			if err != nil {
				l.Printf("[ERR] failed to shutdown server: %s", err)
				return 1
			}
			// "If we got this far, it was an interrupt, so don't exit cleanly"
			return 2
		}
	}
}

// echoResponseWriter remembers the status and the length of the last write, for the access
// log.
type echoResponseWriter struct {
	http.ResponseWriter
	status, length int
}

func (w *echoResponseWriter) WriteHeader(s int) {
	w.status = s
	w.ResponseWriter.WriteHeader(s)
}

func (w *echoResponseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.length = len(b)
	return w.ResponseWriter.Write(b)
}

// httpEchoLog writes http-echo's access log line:
// 2006/01/02 15:04:05 host remote "GET /path HTTP/1.1" 200 12 "user-agent" 31.2µs
func httpEchoLog(out io.Writer, mu *sync.Mutex, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mw := &echoResponseWriter{ResponseWriter: w}
		defer func() {
			end := time.Now()
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(out, "%v %s %s \"%s %s %s\" %d %d \"%s\" %v\n", end.UTC().Format("2006/01/02 15:04:05"),
				r.Host, r.RemoteAddr, r.Method, r.URL.Path, r.Proto, mw.status, mw.length, r.UserAgent(), end.Sub(start))
		}()
		h(mw, r)
	}
}
