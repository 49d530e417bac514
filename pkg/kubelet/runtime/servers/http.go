package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// reply is one HTTP response with its headers in the order the server sends them.
type reply struct {
	status  int
	headers [][2]string
	body    []byte
}

func (r *reply) set(k, v string) { r.headers = append(r.headers, [2]string{k, v}) }

// listen serves port for as long as the process lives; each connection is closed when the
// process ends.
func listen(p *proc.Proc, port int, serve func(net.Conn)) (io.Closer, error) {
	l, err := p.Sys.Listen(port, func(c net.Conn) {
		stop := context.AfterFunc(p.Ctx, func() { c.Close() })
		defer stop()
		defer c.Close()
		serve(c)
	})
	if err != nil {
		return nil, err
	}
	context.AfterFunc(p.Ctx, func() { l.Close() })
	return l, nil
}

// serveHTTP reads HTTP/1.x requests from c and writes the handler's replies, keeping the
// connection open between requests as nginx and httpd do.
func serveHTTP(c net.Conn, idle time.Duration, handle func(*http.Request) reply) {
	br := bufio.NewReader(c)
	for {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		req, err := http.ReadRequest(br)
		if err != nil {
			if err != io.EOF && !isTimeout(err) && !strings.Contains(err.Error(), "closed") {
				bad := reply{status: http.StatusBadRequest}
				bad.set("Connection", "close")
				writeReply(c, "HTTP/1.1", bad, false)
			}
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		req.Body.Close()
		rep := handle(req)
		if err := writeReply(c, "HTTP/1.1", rep, req.Method == http.MethodHead); err != nil {
			return
		}
		if req.Close || req.ProtoMajor == 1 && req.ProtoMinor == 0 && !strings.EqualFold(req.Header.Get("Connection"), "keep-alive") {
			return
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func writeReply(w io.Writer, proto string, r reply, head bool) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s %d %s\r\n", proto, r.status, http.StatusText(r.status))
	for _, h := range r.headers {
		fmt.Fprintf(bw, "%s: %s\r\n", h[0], h[1])
	}
	bw.WriteString("\r\n")
	if !head {
		bw.Write(r.body)
	}
	return bw.Flush()
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// staticFile looks a request path up under root in the container, with index.html for
// directories; it returns the file's content and info, or the status to answer.
func staticFile(p *proc.Proc, root, reqPath string) ([]byte, fs.FileInfo, int) {
	clean := path.Clean("/" + reqPath)
	name := path.Join(root, clean)
	st, err := p.FS().Stat(name)
	if err != nil {
		return nil, nil, http.StatusNotFound
	}
	if st.IsDir() {
		if !strings.HasSuffix(reqPath, "/") {
			return nil, st, http.StatusMovedPermanently
		}
		idx := path.Join(name, "index.html")
		if st2, err := p.FS().Stat(idx); err == nil && !st2.IsDir() {
			name, st = idx, st2
		} else {
			return nil, st, http.StatusForbidden
		}
	}
	b, err := p.FS().ReadFile(name)
	if err != nil {
		return nil, nil, http.StatusForbidden
	}
	return b, st, http.StatusOK
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html", ".htm", "":
		return "text/html"
	case ".txt":
		return "text/plain"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return strings.Split(t, ";")[0]
	}
	return "application/octet-stream"
}

func etag(st fs.FileInfo) string {
	return `"` + strconv.FormatInt(st.ModTime().Unix(), 16) + "-" + strconv.FormatInt(st.Size(), 16) + `"`
}

// remoteIP is the client address as a server's access log prints it.
func remoteIP(c net.Conn) string {
	if c == nil || c.RemoteAddr() == nil {
		return "127.0.0.1"
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// waitSignal blocks until one of sigs arrives or the process is killed; ok is false when
// killed.
func waitSignal(p *proc.Proc, ch <-chan proc.Signal, want func(proc.Signal) bool) (proc.Signal, bool) {
	for {
		select {
		case <-p.Ctx.Done():
			return 0, false
		case s := <-ch:
			if want(s) {
				return s, true
			}
		}
	}
}
