package servers

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// pythonServe answers as `python3 -m http.server` does: files, and directory listings.
func pythonServe(p *proc.Proc, c net.Conn, root string) {
	serveHTTP(c, 60*time.Second, func(req *http.Request) reply {
		now := time.Now()
		r := reply{}
		r.set("Server", "SimpleHTTP/0.6 Python/3.13.1")
		r.set("Date", httpDate(now))
		name := path.Join(root, path.Clean("/"+req.URL.Path))
		st, err := p.FS().Stat(name)
		var body []byte
		switch {
		case err != nil:
			r.status = http.StatusNotFound
			body = []byte("<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n        <p>Error code explanation: 404 - Nothing matches the given URI.</p>\n    </body>\n</html>\n")
			r.set("Connection", "close")
			r.set("Content-Type", "text/html;charset=utf-8")
			r.set("Content-Length", strconv.Itoa(len(body)))
		case st.IsDir():
			ents, _ := p.FS().ReadDir(name)
			var b strings.Builder
			title := "Directory listing for " + html.EscapeString(path.Clean("/"+req.URL.Path))
			if !strings.HasSuffix(title, "/") {
				title += "/"
			}
			fmt.Fprintf(&b, "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n<hr>\n<ul>\n", title, title)
			for _, e := range ents {
				n := e.Name()
				if e.IsDir() {
					n += "/"
				}
				fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", url.PathEscape(n), html.EscapeString(n))
			}
			b.WriteString("</ul>\n<hr>\n</body>\n</html>\n")
			body = []byte(b.String())
			r.status = http.StatusOK
			r.set("Content-type", "text/html; charset=utf-8")
			r.set("Content-Length", strconv.Itoa(len(body)))
		default:
			body, _ = p.FS().ReadFile(name)
			r.status = http.StatusOK
			r.set("Content-type", contentType(name))
			r.set("Content-Length", strconv.Itoa(len(body)))
			r.set("Last-Modified", httpDate(st.ModTime()))
		}
		r.body = body
		fmt.Fprintf(p.Stderr, "%s - - [%s] \"%s %s %s\" %d -\n", remoteIP(c), now.UTC().Format("02/Jan/2006 15:04:05"), req.Method, req.URL.RequestURI(), req.Proto, r.status)
		return r
	})
}
