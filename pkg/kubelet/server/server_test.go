package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func webPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{
			NodeName:   "worker0",
			Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}, {Name: "sidecar", Image: "busybox"}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "nginx", Image: "docker.io/library/nginx:latest", ContainerID: "containerd://n1",
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "sidecar", Image: "docker.io/library/busybox:latest",
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
			},
		},
	}
}

// twoNodes serves worker0 (pod web) and worker1 (pod db).
func twoNodes(t *testing.T, cfg Config) (*testServer, *fakeProvider, *fakeProvider) {
	t.Helper()
	w0 := newFakeProvider("172.18.0.2", "fc00:f853:ccd:e793::2")
	web := webPod("web")
	w0.addPod(web)
	w0.setRunning(web, "nginx", "containerd://n1")
	w1 := newFakeProvider("172.18.0.3", "fc00:f853:ccd:e793::3")
	db := webPod("db")
	db.Spec.NodeName = "worker1"
	w1.addPod(db)
	return startServer(t, cfg, map[string]*fakeProvider{"worker0": w0, "worker1": w1}), w0, w1
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{Token: "s3cret"})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN, "system:masters")
	_, _, admin := ts.ca.client(t, "kubernetes-admin", "system:masters")
	_, _, stranger := newTestCA(t).client(t, APIServerClientCN, "system:masters")
	tests := []struct {
		name     string
		cert     *tls.Certificate
		header   http.Header
		method   string
		path     string
		wantCode int
		wantBody string
	}{
		{name: "the API server's client certificate", cert: &apiServer, path: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "the API server's token", header: http.Header{"Authorization": {"Bearer s3cret"}}, path: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "nothing", path: "/healthz", wantCode: 401, wantBody: "Unauthorized"},
		{name: "nothing, an unknown path", path: "/nope", wantCode: 401, wantBody: "Unauthorized"},
		{name: "a wrong token", header: http.Header{"Authorization": {"Bearer guess"}}, path: "/pods", wantCode: 401, wantBody: "Unauthorized"},
		{name: "a certificate of another CA", cert: &stranger, path: "/pods", wantCode: 401, wantBody: "Unauthorized"},
		{name: "a bad certificate with the token", cert: &stranger, header: http.Header{"Authorization": {"Bearer s3cret"}},
			path: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "another user's certificate", cert: &admin, path: "/containerLogs/default/web/nginx", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=get, resource=nodes, subresource(s)=[proxy])"},
		{name: "another user's exec", cert: &admin, method: http.MethodPost, path: "/exec/default/web/nginx?command=ls&output=1", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=create, resource=nodes, subresource(s)=[proxy])"},
		{name: "another user's pods", cert: &admin, path: "/pods", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=get, resource=nodes, subresource(s)=[pods proxy])"},
		{name: "another user's healthz", cert: &admin, path: "/healthz", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=get, resource=nodes, subresource(s)=[healthz proxy])"},
		{name: "another user's runningpods", cert: &admin, path: "/runningpods/", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=get, resource=nodes, subresource(s)=[pods proxy])"},
		{name: "another user's stats", cert: &admin, path: "/stats/summary", wantCode: 403,
			wantBody: "Forbidden (user=kubernetes-admin, verb=get, resource=nodes, subresource(s)=[stats])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			code, body := get(t, ts.httpClient(tt.cert), ts, method, "worker0", tt.path, tt.header)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("%s %s = %d %q, want %d %q", method, tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestConfigurableClientCN(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{ClientCN: "system:kube-apiserver"})
	_, _, custom := ts.ca.client(t, "system:kube-apiserver")
	_, _, kubeadms := ts.ca.client(t, APIServerClientCN)
	if code, body := get(t, ts.httpClient(&custom), ts, "GET", "worker0", "/healthz", nil); code != 200 {
		t.Errorf("the configured user: %d %q", code, body)
	}
	if code, _ := get(t, ts.httpClient(&kubeadms), ts, "GET", "worker0", "/healthz", nil); code != 403 {
		t.Errorf("kubeadm's user when another is configured: %d, want 403", code)
	}
}

func TestServingCertificates(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	tests := []struct {
		name       string
		serverName string
		verifyAs   []string // names and addresses the certificate must be valid for
		rejects    string
	}{
		{name: "worker0", serverName: "worker0", verifyAs: []string{"worker0", "127.0.0.1", "::1", "172.18.0.2", "fc00:f853:ccd:e793::2"}, rejects: "worker1"},
		{name: "worker1", serverName: "worker1", verifyAs: []string{"worker1", "172.18.0.3", "fc00:f853:ccd:e793::3"}, rejects: "172.18.0.2"},
		{name: "no server name", serverName: "", verifyAs: []string{"127.0.0.1", "::1"}, rejects: "worker0"},
		{name: "an unknown node", serverName: "worker9", verifyAs: []string{"127.0.0.1"}, rejects: "worker9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := tls.Dial("tcp", ts.addr, &tls.Config{
				ServerName: tt.serverName, InsecureSkipVerify: true, Certificates: []tls.Certificate{apiServer},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			state := conn.ConnectionState()
			leaf := state.PeerCertificates[0]
			for _, name := range tt.verifyAs {
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: ts.ca.pool(), DNSName: name}); err != nil {
					t.Errorf("certificate not valid for %s: %v", name, err)
				}
			}
			if err := leaf.VerifyHostname(tt.rejects); err == nil {
				t.Errorf("certificate is valid for %s too", tt.rejects)
			}
			if state.Version < tls.VersionTLS12 {
				t.Errorf("negotiated TLS version %x", state.Version)
			}
		})
	}
}

func TestTLSVersionsAndCiphers(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{})
	tests := []struct {
		name   string
		config *tls.Config
		ok     bool
	}{
		{name: "TLS 1.3", config: &tls.Config{MinVersion: tls.VersionTLS13}, ok: true},
		{name: "TLS 1.2 with GCM", config: &tls.Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, ok: true},
		{name: "TLS 1.2 with CBC only", config: &tls.Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}}},
		{name: "TLS 1.1", config: &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.config.Clone()
			cfg.ServerName, cfg.RootCAs = "worker0", ts.ca.pool()
			conn, err := tls.Dial("tcp", ts.addr, cfg)
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tt.ok {
				t.Errorf("handshake error %v, want success %v", err, tt.ok)
			}
		})
	}
}

func TestNodeByHost(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	podNames := func(body string) []string {
		var list corev1.PodList
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("%v in %q", err, body)
		}
		var names []string
		for _, p := range list.Items {
			names = append(names, p.Name)
		}
		return names
	}
	tests := []struct {
		name       string
		host       string // in the URL, and so the TLS server name when not an IP
		serverName string // set when the host is an address
		wantCode   int
		wantPods   []string
		wantBody   string
	}{
		{name: "node name", host: "worker0", wantCode: 200, wantPods: []string{"web"}},
		{name: "other node name", host: "worker1", wantCode: 200, wantPods: []string{"db"}},
		{name: "upper case, trailing dot", host: "WORKER1.", wantCode: 200, wantPods: []string{"db"}},
		{name: "a node's InternalIP", host: "172.18.0.3", wantCode: 200, wantPods: []string{"db"}},
		{name: "a node's IPv6 InternalIP", host: "fc00:f853:ccd:e793::2", wantCode: 200, wantPods: []string{"web"}},
		{name: "loopback and the TLS server name", host: "127.0.0.1", serverName: "worker1", wantCode: 200, wantPods: []string{"db"}},
		{name: "loopback, no server name, two nodes", host: "127.0.0.1", wantCode: 404, wantBody: `node "127.0.0.1" is not served here`},
		{name: "unknown node", host: "worker9", wantCode: 404, wantBody: `node "worker9" is not served here`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := ts.httpClient(&apiServer)
			tr := client.Transport.(*http.Transport)
			tr.TLSClientConfig.InsecureSkipVerify = tt.host == "worker9" || strings.HasSuffix(tt.host, ".")
			if tt.serverName != "" {
				tr.TLSClientConfig.ServerName = tt.serverName
			}
			code, body := get(t, client, ts, "GET", tt.host, "/pods", nil)
			if code != tt.wantCode {
				t.Fatalf("GET /pods on %s = %d %q, want %d", tt.host, code, body, tt.wantCode)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			if tt.wantPods != nil {
				if diff := cmp.Diff(tt.wantPods, podNames(body)); diff != "" {
					t.Errorf("pods (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestOneNodeAnswersLoopback(t *testing.T) {
	t.Parallel()
	p := newFakeProvider()
	p.addPod(webPod("web"))
	ts := startServer(t, Config{}, map[string]*fakeProvider{"worker0": p})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	if code, body := get(t, ts.httpClient(&apiServer), ts, "GET", "127.0.0.1", "/healthz", nil); code != 200 || body != "ok" {
		t.Errorf("GET https://127.0.0.1/healthz with one node = %d %q", code, body)
	}
	ts.RemoveNode("worker0")
	client := ts.httpClient(&apiServer)
	client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
	if code, _ := get(t, client, ts, "GET", "worker0", "/healthz", nil); code != 404 {
		t.Errorf("a removed node answers %d, want 404", code)
	}
}

func TestAddNodeErrors(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	s, err := New(Config{CACertPEM: ca.certPEM, CAKeyPEM: ca.keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddNode("", nil, newFakeProvider()); err == nil {
		t.Error("AddNode with no name succeeded")
	}
	if err := s.AddNode("worker0", nil, nil); err == nil {
		t.Error("AddNode with no provider succeeded")
	}
	if err := s.AddNode("worker0", []netip.Addr{netip.MustParseAddr("10.0.0.1")}, newFakeProvider()); err != nil {
		t.Error(err)
	}
}

func TestNewRejectsBadCAs(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	_, leafPEM, _ := ca.client(t, "x")
	certPEM, _, _ := ca.client(t, "not-a-ca")
	tests := []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{name: "nothing", want: "no CERTIFICATE block"},
		{name: "no key", cert: ca.certPEM, want: "cluster CA key: no private key block"},
		{name: "both missing, both said", want: "cluster CA key"},
		{name: "not a CA", cert: certPEM, key: leafPEM, want: "not a CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{CACertPEM: tt.cert, CAKeyPEM: tt.key})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	ts, _, _ := twoNodes(t, Config{})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/healthz", 200, "ok"},
		{"/healthz?verbose", 200, "[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n"},
		{"/healthz/ping", 200, "ok"},
		{"/healthz/syncloop", 200, "ok"},
		{"/healthz/nope", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			code, body := get(t, ts.httpClient(&apiServer), ts, "GET", "worker0", tt.path, nil)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestPodsAndRunningPods(t *testing.T) {
	t.Parallel()
	ts, w0, _ := twoNodes(t, Config{})
	other := webPod("api")
	other.Namespace = "apps"
	other.UID = "uid-api"
	w0.addPod(other) // bound to the node, nothing running yet
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	client := ts.httpClient(&apiServer)
	for _, path := range []string{"/pods", "/runningpods/"} {
		code, body := get(t, client, ts, "GET", "worker0", path, nil)
		if code != 200 {
			t.Fatalf("GET %s = %d %q", path, code, body)
		}
		golden(t, strings.ReplaceAll(path, "/", ""), []byte(body))
	}
	if code, body := get(t, client, ts, "GET", "worker0", "/runningpods", nil); code != 200 || !strings.Contains(body, `"uid-web"`) {
		t.Errorf("GET /runningpods = %d %q", code, body)
	}
	var list corev1.PodList
	if _, body := get(t, client, ts, "GET", "worker1", "/runningpods/", nil); json.Unmarshal([]byte(body), &list) != nil || len(list.Items) != 0 {
		t.Errorf("a node with no running container lists %q", body)
	}
	if code, _ := get(t, client, ts, "POST", "worker0", "/pods", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /pods = %d, want 405", code)
	}
}
