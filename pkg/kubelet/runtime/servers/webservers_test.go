package servers

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"testing"
	"time"
)

// TestWebServerAccessLogs checks that nginx and httpd serve the document root as it is at
// request time and log the connecting pod's address in their image's log format.
func TestWebServerAccessLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, root string
		argv       []string
		headers    string
		want       string
	}{
		{name: "nginx main format", root: "/usr/share/nginx/html", argv: []string{"nginx", "-g", "daemon off;"},
			headers: "User-Agent: curl/8.11.1\r\nX-Forwarded-For: 203.0.113.9\r\n",
			want:    `^10\.244\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET / HTTP/1\.1" 200 8 "-" "curl/8\.11\.1" "203\.0\.113\.9"\n$`},
		{name: "httpd common format", root: "/usr/local/apache2/htdocs", argv: []string{"httpd", "-DFOREGROUND"},
			want: `^10\.244\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET / HTTP/1\.1" 200 8\n$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := newFakePod(t, map[string]string{tt.root + "/index.html": "old\n"})
			prog := Table()[tt.argv[0]]
			r := pod.start(prog, nil, tt.argv...)
			pod.waitPort(80)
			if err := pod.fs.WriteFile(tt.root+"/index.html", []byte("changed\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := pod.connect(netip.MustParseAddr(client), 80)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: 10.244.1.4\r\n%sConnection: close\r\n\r\n", tt.headers)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "changed\n" {
				t.Errorf("body %q", body)
			}
			eventually(t, func() bool { return r.stdout.String() != "" })
			if !regexp.MustCompile(tt.want).MatchString(r.stdout.String()) {
				t.Errorf("access log %q does not match %s", r.stdout.String(), tt.want)
			}
		})
	}
}
