package server

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/kubelet/logs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// testCA is a cluster CA for tests, and the client certificates it signs.
type testCA struct {
	cert            *x509.Certificate
	key             *ecdsa.PrivateKey
	certPEM, keyPEM []byte
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kubernetes"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{
		cert: cert, key: key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// client issues a client certificate for cn in orgs, in PEM and as a tls.Certificate.
func (ca *testCA) client(t testing.TB, cn string, orgs ...string) (certPEM, keyPEM []byte, cert tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, cert
}

// testServer is a Server serving on loopback for the life of a test.
type testServer struct {
	*Server
	ca   *testCA
	addr string // 127.0.0.1:port
}

func startServer(t *testing.T, cfg Config, nodes map[string]*fakeProvider) *testServer {
	t.Helper()
	ca := newTestCA(t)
	cfg.CACertPEM, cfg.CAKeyPEM = ca.certPEM, ca.keyPEM
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range nodes {
		if err := s.AddNode(name, p.ips, p); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v after its context ended, want nil", err)
		}
	})
	return &testServer{Server: s, ca: ca, addr: l.Addr().String()}
}

func (ts *testServer) port() string {
	_, port, _ := net.SplitHostPort(ts.addr)
	return port
}

// httpClient calls the server as the API server does: to https://<node>:<port>/, dialing
// loopback, trusting the CA, with cert as its client certificate (none if nil).
func (ts *testServer) httpClient(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: ts.ca.pool(), MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: cfg,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, ts.addr)
		},
	}}
}

// get GETs path of node as client does, returning status and body.
func get(t *testing.T, client *http.Client, ts *testServer, method, node, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+net.JoinHostPort(node, ts.port())+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// restConfig is how client-go's executors and dialers reach node: through loopback with
// the node as TLS server name, as the API server's transport does.
func (ts *testServer) restConfig(t *testing.T, node, cn string) *rest.Config {
	t.Helper()
	certPEM, keyPEM, _ := ts.ca.client(t, cn, "system:masters")
	return &rest.Config{
		Host: "https://" + ts.addr,
		TLSClientConfig: rest.TLSClientConfig{
			ServerName: node, CAData: ts.ca.certPEM, CertData: certPEM, KeyData: keyPEM,
		},
	}
}

// fakeProvider is a node's kubelet for the server's tests: pods, which containers run,
// their log files, and a few commands.
type fakeProvider struct {
	ips []netip.Addr

	mu      sync.Mutex
	pods    map[string]*corev1.Pod // by namespace/name
	running map[string]string      // namespace/name/container -> running container ID
	logs    map[string]string      // container ID -> log path
}

var _ Provider = (*fakeProvider)(nil)

func newFakeProvider(ips ...string) *fakeProvider {
	p := &fakeProvider{pods: map[string]*corev1.Pod{}, running: map[string]string{}, logs: map[string]string{}}
	for _, ip := range ips {
		p.ips = append(p.ips, netip.MustParseAddr(ip))
	}
	return p
}

func (p *fakeProvider) addPod(pod *corev1.Pod) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pods[pod.Namespace+"/"+pod.Name] = pod
}

func (p *fakeProvider) setRunning(pod *corev1.Pod, container, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := pod.Namespace + "/" + pod.Name + "/" + container
	if id == "" {
		delete(p.running, key)
		return
	}
	p.running[key] = id
}

func (p *fakeProvider) setLog(id, path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logs[id] = path
}

func (p *fakeProvider) Pods() []*corev1.Pod {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*corev1.Pod
	for _, pod := range p.pods {
		out = append(out, pod)
	}
	return out
}

func (p *fakeProvider) Pod(namespace, name string) (*corev1.Pod, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pod, ok := p.pods[namespace+"/"+name]
	return pod, ok
}

func (p *fakeProvider) Running(pod *corev1.Pod, container string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, ok := p.running[pod.Namespace+"/"+pod.Name+"/"+container]
	return id, ok
}

func (p *fakeProvider) LogPath(_ *corev1.Pod, _, containerID string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	path, ok := p.logs[containerID]
	if !ok {
		return "", fmt.Errorf("no log for %s", containerID)
	}
	return path, nil
}

// missingBinary is containerd's error for an exec of a command not in $PATH.
const missingBinary = `failed to exec in container: failed to start exec "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": ` +
	`OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown`

// Exec knows: echo ARGS, exit N, cat (stdin to stdout), warn (a line on stderr, exit 2),
// tty (reports the TTY and the first terminal size), and fails to start anything else.
func (p *fakeProvider) Exec(ctx context.Context, pod *corev1.Pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer, tty bool, resize <-chan TerminalSize) (int, error) {
	if len(cmd) == 0 {
		return 0, errors.New("no command")
	}
	switch cmd[0] {
	case "echo":
		_, err := fmt.Fprintf(stdout, "%s\n", strings.Join(cmd[1:], " "))
		return 0, err
	case "exit":
		return strconv.Atoi(cmd[1])
	case "cat":
		if stdin == nil {
			return 1, nil
		}
		_, err := io.Copy(stdout, stdin)
		return 0, err
	case "warn":
		if stdout != nil {
			fmt.Fprintln(stdout, "to stdout")
		}
		fmt.Fprintln(stderr, "to stderr")
		return 2, nil
	case "tty":
		select {
		case size := <-resize:
			fmt.Fprintf(stdout, "tty=%v %dx%d\r\n", tty, size.Width, size.Height)
		case <-ctx.Done():
			return 1, ctx.Err()
		}
		return 0, nil
	}
	return 0, errors.New(missingBinary)
}

// Attach greets and then echoes stdin in upper case until it ends.
func (p *fakeProvider) Attach(_ context.Context, _ *corev1.Pod, container string, stdin io.Reader, stdout, _ io.Writer, tty bool, _ <-chan TerminalSize) error {
	fmt.Fprintf(stdout, "attached to %s tty=%v\n", container, tty)
	if stdin == nil {
		return nil
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		fmt.Fprintln(stdout, strings.ToUpper(sc.Text()))
	}
	return sc.Err()
}

// PortForward answers each line sent to it with "port N: <line>"; nothing listens on
// port 81.
func (p *fakeProvider) PortForward(_ context.Context, pod *corev1.Pod, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	if port == 81 {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace %q: connection refused", port, pod.Name)
	}
	sc := bufio.NewScanner(stream)
	for sc.Scan() {
		if _, err := fmt.Fprintf(stream, "port %d: %s\n", port, sc.Text()); err != nil {
			return err
		}
	}
	return nil
}

// writeLogFile writes lines (stderr lines start with "!") as a container log stamped
// from start, one second apart, and returns its path.
func writeLogFile(t *testing.T, start time.Time, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := logs.Create(path, logs.Options{Clock: &tickClock{now: start}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		out := w.Stdout()
		if rest, ok := strings.CutPrefix(l, "!"); ok {
			out, l = w.Stderr(), rest
		}
		if _, err := io.WriteString(out, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tickClock moves a second each time it is read.
type tickClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tickClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(time.Second)
	return t
}

func (c *tickClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// fixedClock is always at one time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                  { return c.t }
func (c fixedClock) Since(t time.Time) time.Duration { return c.t.Sub(t) }
