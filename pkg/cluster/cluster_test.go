package cluster_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestServesHealthOverTLS(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	for _, path := range []string{"/livez", "/readyz", "/healthz"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, c, path)
			if resp.StatusCode != http.StatusOK || body != "ok" {
				t.Errorf("GET %s = %d %q, want 200 \"ok\"", path, resp.StatusCode, body)
			}
			host, _, err := net.SplitHostPort(c.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.TLS.PeerCertificates[0].VerifyHostname(host); err != nil {
				t.Errorf("serving certificate does not name the address clients dial: %v", err)
			}
		})
	}
}

func TestStopIsIdempotentAndRestartKeepsDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	c := clustertest.StartWith(t, cluster.Options{DataDir: dir})

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode = %o, want 700", perm)
	}
	if got := c.DataDir(); got != dir {
		t.Errorf("DataDir() = %q, want %q", got, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, cluster.StorageFile)); err != nil {
		t.Errorf("storage file: %v", err)
	}

	for i := range 2 {
		if err := c.Stop(); err != nil {
			t.Fatalf("Stop() call %d: %v", i+1, err)
		}
	}
	if _, err := client().Get("https://" + c.Addr() + "/livez"); err == nil {
		t.Errorf("GET /livez after Stop succeeded, want a connection error")
	}

	again := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	if resp, body := get(t, again, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz after restart = %d %q, want 200", resp.StatusCode, body)
	}
}

func TestClustersRunSideBySide(t *testing.T) {
	t.Parallel()
	a, b := clustertest.Start(t), clustertest.Start(t)
	if a.Addr() == b.Addr() || a.DataDir() == b.DataDir() {
		t.Fatalf("clusters share an address or data dir: %s %s, %s %s", a.Addr(), a.DataDir(), b.Addr(), b.DataDir())
	}
	for _, c := range []*cluster.Cluster{a, b} {
		if resp, body := get(t, c, "/readyz"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET https://%s/readyz = %d %q, want 200", c.Addr(), resp.StatusCode, body)
		}
	}
}

func TestSecondClusterOnSameDataDirFails(t *testing.T) {
	t.Parallel()
	first := clustertest.Start(t)
	second, err := cluster.Start(t.Context(), cluster.Options{DataDir: first.DataDir()})
	if err == nil {
		second.Stop()
		t.Fatal("a second cluster started on a data dir in use, want an error")
	}
	if !strings.Contains(err.Error(), "open storage") {
		t.Errorf("Start error = %q, want it to say storage could not be opened", err)
	}
	if resp, body := get(t, first, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("first cluster after the failed start: GET /readyz = %d %q, want 200", resp.StatusCode, body)
	}
}

func TestStartFails(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	busyPort := busy.Addr().(*net.TCPAddr).Port

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		opts    func(dataDir string) cluster.Options
		wantErr string
	}{{
		name:    "no data dir",
		opts:    func(string) cluster.Options { return cluster.Options{} },
		wantErr: "no data dir given",
	}, {
		name:    "bind address is not an IP",
		opts:    func(d string) cluster.Options { return cluster.Options{DataDir: d, BindAddress: "localhost"} },
		wantErr: "parse bind address",
	}, {
		name:    "port out of range",
		opts:    func(d string) cluster.Options { return cluster.Options{DataDir: d, SecurePort: 65536} },
		wantErr: "invalid port",
	}, {
		name:    "port in use",
		opts:    func(d string) cluster.Options { return cluster.Options{DataDir: d, SecurePort: busyPort} },
		wantErr: "address already in use",
	}, {
		name:    "data dir is a file",
		opts:    func(string) cluster.Options { return cluster.Options{DataDir: file} },
		wantErr: "create data dir",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state")
			c, err := cluster.Start(t.Context(), tt.opts(dir))
			if err == nil {
				c.Stop()
				t.Fatalf("Start succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Start error = %q, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("failed Start left data dir %s behind (stat: %v)", dir, err)
			}
		})
	}
}

// client trusts any certificate: the cluster's is self-signed and made anew
// on every start.
func client() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
}

func get(tb testing.TB, c *cluster.Cluster, path string) (*http.Response, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+c.Addr()+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := client().Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return resp, strings.TrimSpace(string(body))
}
