package servers

import (
	"fmt"
	"net"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// NginxVersion is the version the simulated nginx reports (Server header, nginx -v, logs).
const NginxVersion = "1.27.5"

// NginxDefaultConf is /etc/nginx/conf.d/default.conf as the package installs it, before the
// image's entrypoint adds the IPv6 listen line.
const NginxDefaultConf = `server {
    listen       80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`

func nginxTime(t time.Time) string { return t.UTC().Format("2006/01/02 15:04:05") }

func nginxEntrypoint(p *proc.Proc) int {
	args := p.Args[1:]
	if len(args) > 0 && (args[0] == "nginx" || args[0] == "nginx-debug") && p.Getenv("NGINX_ENTRYPOINT_QUIET_LOGS") == "" {
		log := func(s string) { fmt.Fprintln(p.Stdout, s) }
		const conf = "/etc/nginx/conf.d/default.conf"
		log("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration")
		log("/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/")
		log("/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh")
		const script = "10-listen-on-ipv6-by-default.sh: info: "
		b, err := p.FS().ReadFile(conf)
		switch {
		case err != nil:
			log(script + conf + " is not a file or does not exist")
		case string(b) != NginxDefaultConf:
			log(script + "Getting the checksum of " + conf)
			log(script + conf + " differs from the packaged version")
		default:
			log(script + "Getting the checksum of " + conf)
			changed := strings.Replace(string(b), "    listen       80;\n", "    listen       80;\n    listen  [::]:80;\n", 1)
			if err := p.FS().WriteFile(conf, []byte(changed), 0o644); err != nil {
				log(script + "can not modify " + conf + " (read-only file system?)")
			} else {
				log(script + "Enabled listen on IPv6 in " + conf)
			}
		}
		log("/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh")
		log("/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh")
		log("/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh")
		log("/docker-entrypoint.sh: Configuration complete; ready for start up")
	}
	return passThrough(p)
}

// passThrough is an entrypoint script that ends in exec "$@".
func passThrough(p *proc.Proc) int {
	if len(p.Args) < 2 {
		return 0
	}
	child := *p
	child.Args = p.Args[1:]
	code, err := p.Sys.Replace(&child)
	if err != nil {
		fmt.Fprintf(p.Stderr, "%s: exec: line 47: %s: not found\n", p.Args[0], p.Args[1])
		return 127
	}
	return code
}

var (
	listenRE = regexp.MustCompile(`(?m)^\s*listen\s+(?:\[::\]:|[0-9.]+:)?(\d+)`)
	rootRE   = regexp.MustCompile(`(?m)^\s*root\s+([^;\s]+)\s*;`)
)

// nginxConfig reads the ports and document root out of the configuration files, enough for
// the usual "listen 8080;" or "root /data;" changes made through a ConfigMap.
func nginxConfig(p *proc.Proc) (ports []int, root string) {
	root = "/usr/share/nginx/html"
	var texts []string
	if b, err := p.FS().ReadFile("/etc/nginx/nginx.conf"); err == nil {
		texts = append(texts, string(b))
	}
	if ents, err := p.FS().ReadDir("/etc/nginx/conf.d"); err == nil {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".conf") {
				if b, err := p.FS().ReadFile(path.Join("/etc/nginx/conf.d", e.Name())); err == nil {
					texts = append(texts, string(b))
				}
			}
		}
	}
	seen := map[int]bool{}
	rootSet := false
	for _, t := range texts {
		for _, m := range listenRE.FindAllStringSubmatch(t, -1) {
			if n, err := strconv.Atoi(m[1]); err == nil && !seen[n] {
				seen[n] = true
				ports = append(ports, n)
			}
		}
		if m := rootRE.FindStringSubmatch(t); m != nil && !rootSet {
			root, rootSet = m[1], true
		}
	}
	sort.Ints(ports)
	return ports, root
}

func nginxErrorPage(status int) []byte {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return []byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx/" + NginxVersion + "</center>\r\n</body>\r\n</html>\r\n")
}

func nginx(p *proc.Proc) int {
	args := p.Args[1:]
	daemonOff := false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-v":
			fmt.Fprintf(p.Stderr, "nginx version: nginx/%s\n", NginxVersion)
			return 0
		case "-V":
			fmt.Fprintf(p.Stderr, "nginx version: nginx/%s\nbuilt by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) \nbuilt with OpenSSL 3.0.15 3 Sep 2024\nTLS SNI support enabled\n", NginxVersion)
			return 0
		case "-t", "-T":
			fmt.Fprintln(p.Stderr, "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok")
			fmt.Fprintln(p.Stderr, "nginx: configuration file /etc/nginx/nginx.conf test is successful")
			return 0
		case "-s":
			if i+1 >= len(args) {
				fmt.Fprintln(p.Stderr, `nginx: option "-s" requires parameter`)
				return 1
			}
			sig := map[string]proc.Signal{"stop": proc.SIGTERM, "quit": proc.SIGQUIT, "reopen": proc.SIGUSR1, "reload": proc.SIGHUP}[args[i+1]]
			if sig == 0 {
				fmt.Fprintf(p.Stderr, "nginx: invalid option: \"-s %s\"\n", args[i+1])
				return 1
			}
			b, err := p.FS().ReadFile("/run/nginx.pid")
			pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || perr != nil {
				fmt.Fprintf(p.Stderr, "%s [notice] %d#%d: signal process started\n", nginxTime(time.Now()), p.Sys.PID(), p.Sys.PID())
				fmt.Fprintf(p.Stderr, "%s [error] %d#%d: open() \"/run/nginx.pid\" failed (2: No such file or directory)\n", nginxTime(time.Now()), p.Sys.PID(), p.Sys.PID())
				return 1
			}
			fmt.Fprintf(p.Stderr, "%s [notice] %d#%d: signal process started\n", nginxTime(time.Now()), p.Sys.PID(), p.Sys.PID())
			if err := p.Sys.Kill(pid, sig); err != nil {
				fmt.Fprintf(p.Stderr, "%s [alert] %d#%d: kill(%d, %d) failed (3: No such process)\n", nginxTime(time.Now()), p.Sys.PID(), p.Sys.PID(), pid, sig)
				return 1
			}
			return 0
		case "-g":
			if i+1 < len(args) {
				if strings.Contains(strings.ReplaceAll(args[i+1], " ", ""), "daemonoff") {
					daemonOff = true
				}
				i++
			}
		case "-c", "-p", "-e":
			i++
		}
	}
	// without "daemon off;" the master forks into the background and the foreground process
	// returns at once, which ends a container whose main process it is
	if !daemonOff {
		return 0
	}
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGQUIT, proc.SIGHUP, proc.SIGUSR1, proc.SIGWINCH)
	pid := p.Sys.PID()
	u := p.Sys.Uname()
	notice := func(who int, format string, a ...any) {
		fmt.Fprintf(p.Stderr, "%s [notice] %d#%d: %s\n", nginxTime(time.Now()), who, who, fmt.Sprintf(format, a...))
	}
	ports, root := nginxConfig(p)
	if len(ports) == 0 {
		ports = []int{80}
	}
	for _, port := range ports {
		if _, err := listen(p, port, func(c net.Conn) { nginxServe(p, c, root) }); err != nil {
			fmt.Fprintf(p.Stderr, "%s [emerg] %d#%d: bind() to 0.0.0.0:%d failed (98: Address already in use)\n", nginxTime(time.Now()), pid, pid, port)
			fmt.Fprintf(p.Stderr, "nginx: [emerg] still could not bind()\n")
			return 1
		}
	}
	_ = p.FS().WriteFile("/run/nginx.pid", []byte(strconv.Itoa(pid)+"\n"), 0o644)
	notice(pid, `using the "epoll" event method`)
	notice(pid, "nginx/%s", NginxVersion)
	notice(pid, "built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) ")
	notice(pid, "OS: %s %s", u.Sysname, u.Release)
	notice(pid, "getrlimit(RLIMIT_NOFILE): 1048576:1048576")
	notice(pid, "start worker processes")
	workers := max(1, u.CPUs)
	for i := range workers {
		notice(pid, "start worker process %d", pid+28+i)
	}
	for {
		sig, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true })
		if !ok {
			return 137
		}
		switch sig {
		case proc.SIGHUP:
			notice(pid, "signal 1 (SIGHUP) received, reconfiguring")
			notice(pid, "reconfiguring")
			continue
		case proc.SIGUSR1:
			notice(pid, "signal 10 (SIGUSR1) received, reopening logs")
			notice(pid, "reopening logs")
			continue
		case proc.SIGWINCH:
			notice(pid, "signal 28 (SIGWINCH) received")
			continue
		case proc.SIGQUIT:
			notice(pid, "signal 3 (SIGQUIT) received, shutting down")
			for i := range workers {
				notice(pid+28+i, "gracefully shutting down")
			}
		default:
			notice(pid, "signal %d (%s) received, exiting", int(sig), sig)
		}
		for i := range workers {
			w := pid + 28 + i
			notice(w, "exiting")
			notice(w, "exit")
		}
		for i := range workers {
			notice(pid, "signal 17 (SIGCHLD) received from %d", pid+28+i)
			notice(pid, "worker process %d exited with code 0", pid+28+i)
		}
		notice(pid, "exit")
		_ = p.FS().Remove("/run/nginx.pid")
		return 0
	}
}

func nginxServe(p *proc.Proc, c net.Conn, root string) {
	serveHTTP(c, 65*time.Second, func(req *http.Request) reply {
		now := time.Now()
		r := reply{}
		r.set("Server", "nginx/"+NginxVersion)
		r.set("Date", httpDate(now))
		var status int
		var body []byte
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			status = http.StatusMethodNotAllowed
		} else {
			b, info, code := staticFile(p, root, req.URL.Path)
			status = code
			if status == http.StatusOK {
				body = b
				r.set("Content-Type", contentType(req.URL.Path))
				r.set("Content-Length", strconv.Itoa(len(body)))
				r.set("Last-Modified", httpDate(info.ModTime()))
				r.set("Connection", "keep-alive")
				r.set("ETag", etag(info))
				r.set("Accept-Ranges", "bytes")
			}
			if status == http.StatusMovedPermanently {
				body = nginxErrorPage(status)
				r.set("Content-Type", "text/html")
				r.set("Content-Length", strconv.Itoa(len(body)))
				r.set("Location", "http://"+req.Host+req.URL.Path+"/")
				r.set("Connection", "keep-alive")
			}
		}
		if status != http.StatusOK && status != http.StatusMovedPermanently {
			body = nginxErrorPage(status)
			r.set("Content-Type", "text/html")
			r.set("Content-Length", strconv.Itoa(len(body)))
			r.set("Connection", "keep-alive")
			if status >= 400 {
				fmt.Fprintf(p.Stderr, "%s [error] 29#29: *1 open() \"%s\" failed (2: No such file or directory), client: %s, server: localhost, request: \"%s %s %s\", host: \"%s\"\n",
					nginxTime(now), path.Join(root, path.Clean("/"+req.URL.Path)), remoteIP(c), req.Method, req.URL.RequestURI(), req.Proto, req.Host)
			}
		}
		r.status = status
		r.body = body
		ua := req.UserAgent()
		if ua == "" {
			ua = "-"
		}
		ref := req.Referer()
		if ref == "" {
			ref = "-"
		}
		size := len(body)
		if req.Method == http.MethodHead {
			size = 0
		}
		xff := req.Header.Get("X-Forwarded-For")
		if xff == "" {
			xff = "-"
		}
		// the image's log_format main: combined plus $http_x_forwarded_for
		fmt.Fprintf(p.Stdout, "%s - - [%s] \"%s %s %s\" %d %d \"%s\" \"%s\" \"%s\"\n", remoteIP(c), now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			req.Method, req.URL.RequestURI(), req.Proto, status, size, ref, ua, xff)
		return r
	})
}
