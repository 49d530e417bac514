package servers

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// HttpdVersion is the Apache httpd version the simulated httpd reports.
const HttpdVersion = "2.4.63"

// HttpdIndex is httpd's default htdocs/index.html.
const HttpdIndex = "<html><body><h1>It works!</h1></body></html>\n"

func httpdTime(t time.Time) string { return t.UTC().Format("Mon Jan 02 15:04:05.000000 2006") }

func httpdForeground(p *proc.Proc) int {
	_ = p.FS().Remove("/usr/local/apache2/logs/httpd.pid")
	child := *p
	child.Args = append([]string{"httpd", "-DFOREGROUND"}, p.Args[1:]...)
	code, err := p.Sys.Replace(&child)
	if err != nil {
		fmt.Fprintf(p.Stderr, "%s: line 7: exec: httpd: not found\n", p.Args[0])
		return 127
	}
	return code
}

func httpd(p *proc.Proc) int {
	fg := false
	for i, a := range p.Args[1:] {
		switch {
		case a == "-v":
			fmt.Fprintf(p.Stdout, "Server version: Apache/%s (Unix)\nServer built:   Jan 23 2025 21:17:39\n", HttpdVersion)
			return 0
		case a == "-t":
			fmt.Fprintln(p.Stderr, "Syntax OK")
			return 0
		case a == "-DFOREGROUND" || (a == "-D" && i+2 < len(p.Args) && p.Args[i+2] == "FOREGROUND"):
			fg = true
		}
	}
	if !fg {
		return 0
	}
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGWINCH, proc.SIGHUP, proc.SIGUSR1)
	pid := p.Sys.PID()
	ip := "127.0.0.1"
	for _, pre := range p.Sys.PodIPs() {
		ip = pre.Addr().String()
		break
	}
	note := func(module, code, msg string) {
		fmt.Fprintf(p.Stderr, "[%s] [%s] [pid %d:tid %d] %s: %s\n", httpdTime(time.Now()), module, pid, pid, code, msg)
	}
	if _, err := listen(p, 80, func(c net.Conn) { httpdServe(p, c) }); err != nil {
		fmt.Fprintln(p.Stderr, "(98)Address in use: AH00072: make_sock: could not bind to address [::]:80")
		fmt.Fprintln(p.Stderr, "no listening sockets available, shutting down")
		fmt.Fprintln(p.Stderr, "AH00015: Unable to open logs")
		return 1
	}
	for range 2 {
		fmt.Fprintf(p.Stderr, "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using %s. Set the 'ServerName' directive globally to suppress this message\n", ip)
	}
	note("mpm_event:notice", "AH00489", "Apache/"+HttpdVersion+" (Unix) configured -- resuming normal operations")
	note("core:notice", "AH00094", "Command line: 'httpd -D FOREGROUND'")
	for {
		sig, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true })
		if !ok {
			return 137
		}
		switch sig {
		case proc.SIGWINCH:
			note("mpm_event:notice", "AH00492", "caught SIGWINCH, shutting down gracefully")
			return 0
		case proc.SIGHUP:
			note("mpm_event:notice", "AH00493", "SIGHUP received.  Attempting to restart")
		case proc.SIGUSR1:
			note("mpm_event:notice", "AH00494", "SIGUSR1 received.  Doing graceful restart")
		default:
			note("mpm_event:notice", "AH00491", "caught SIGTERM, shutting down")
			return 0
		}
	}
}

func httpdErrorPage(status int) []byte {
	text := http.StatusText(status)
	msg := map[int]string{
		http.StatusNotFound:  "<p>The requested URL was not found on this server.</p>\n",
		http.StatusForbidden: "<p>You don't have permission to access this resource.</p>\n",
	}[status]
	return []byte("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>" + strconv.Itoa(status) + " " + text +
		"</title>\n</head><body>\n<h1>" + text + "</h1>\n" + msg + "</body></html>\n")
}

func httpdServe(p *proc.Proc, c net.Conn) {
	serveHTTP(c, 5*time.Second, func(req *http.Request) reply {
		now := time.Now()
		r := reply{}
		r.set("Date", httpDate(now))
		r.set("Server", "Apache/"+HttpdVersion+" (Unix)")
		body, info, status := staticFile(p, "/usr/local/apache2/htdocs", req.URL.Path)
		if status == http.StatusOK {
			r.set("Last-Modified", httpDate(info.ModTime()))
			r.set("ETag", `"`+strconv.FormatInt(info.Size(), 16)+"-"+strconv.FormatInt(info.ModTime().UnixMicro(), 16)+`"`)
			r.set("Accept-Ranges", "bytes")
			r.set("Content-Length", strconv.Itoa(len(body)))
			r.set("Content-Type", contentType(req.URL.Path))
		} else {
			if status == http.StatusMovedPermanently {
				r.set("Location", "http://"+req.Host+req.URL.Path+"/")
			}
			body = httpdErrorPage(status)
			r.set("Content-Length", strconv.Itoa(len(body)))
			r.set("Content-Type", "text/html; charset=iso-8859-1")
		}
		r.status, r.body = status, body
		// common log format: %b is "-" when no body bytes were sent
		size := strconv.Itoa(len(body))
		if req.Method == http.MethodHead || len(body) == 0 {
			size = "-"
		}
		fmt.Fprintf(p.Stdout, "%s - - [%s] \"%s %s %s\" %d %s\n", remoteIP(c), now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			req.Method, req.URL.RequestURI(), req.Proto, status, size)
		return r
	})
}
