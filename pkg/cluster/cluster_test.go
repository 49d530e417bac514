package cluster_test

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestKubeconfig(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)

	if want := filepath.Join(c.DataDir(), "kubeconfig"); c.Kubeconfig() != want {
		t.Errorf("Kubeconfig() = %q, want %q", c.Kubeconfig(), want)
	}
	info, err := os.Stat(c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("kubeconfig mode = %o, want 600", perm)
	}
	// The CA key, the token and the service account signing key are the
	// cluster's secrets.
	for path, want := range map[string]os.FileMode{"pki": 0o700, "pki/ca.key": 0o600, "pki/admin.token": 0o600, "pki/sa.key": 0o600} {
		info, err := os.Stat(filepath.Join(c.DataDir(), path))
		if err != nil {
			t.Error(err)
			continue
		}
		if perm := info.Mode().Perm(); perm != want {
			t.Errorf("%s mode = %o, want %o", path, perm, want)
		}
	}
	cfg := loadKubeconfig(t, c.Kubeconfig())
	if cfg.CurrentContext == "" {
		t.Fatal("kubeconfig has no current context")
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || cfg.Clusters[ctx.Cluster] == nil || cfg.AuthInfos[ctx.AuthInfo] == nil {
		t.Fatalf("current context %q does not name a cluster and a user: %+v", cfg.CurrentContext, ctx)
	}
	if ctx.Namespace != "default" {
		t.Errorf("context namespace = %q, want default", ctx.Namespace)
	}
	server := cfg.Clusters[ctx.Cluster]
	if want := "https://" + c.Addr(); server.Server != want {
		t.Errorf("kubeconfig server = %q, want %q", server.Server, want)
	}
	if server.InsecureSkipTLSVerify || len(server.CertificateAuthorityData) == 0 {
		t.Errorf("kubeconfig does not pin the cluster CA (insecure %v, %d bytes of CA data)",
			server.InsecureSkipTLSVerify, len(server.CertificateAuthorityData))
	}
	if cfg.AuthInfos[ctx.AuthInfo].Token == "" {
		t.Error("kubeconfig user has no token")
	}
}

func TestServesOverVerifiedTLS(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := kubeconfigHTTPClient(t, c.Kubeconfig())

	for _, path := range []string{"/livez", "/readyz", "/healthz"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			code, body := get(t, client, "https://"+c.Addr()+path)
			if code != http.StatusOK || body != "ok" {
				t.Errorf("GET %s = %d %q, want 200 \"ok\"", path, code, body)
			}
		})
	}

	t.Run("/version", func(t *testing.T) {
		t.Parallel()
		code, body := get(t, client, "https://"+c.Addr()+"/version")
		if code != http.StatusOK {
			t.Fatalf("GET /version = %d %q, want 200", code, body)
		}
		var v version.Info
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("decode /version %q: %v", body, err)
		}
		if v.GitVersion != "v1.37.2" || v.Major != "1" || v.Minor != "37" {
			t.Errorf("/version = %+v, want gitVersion v1.37.2, major 1, minor 37", v)
		}
	})

	// Without the token, only the CA.
	anonymous := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: kubeconfigCA(t, c.Kubeconfig())},
	}}
	t.Cleanup(anonymous.CloseIdleConnections)
	for _, path := range []string{"/api/v1/namespaces", "/version", "/readyz"} {
		t.Run("anonymous "+path, func(t *testing.T) {
			t.Parallel()
			if code, body := get(t, anonymous, "https://"+c.Addr()+path); code != http.StatusUnauthorized {
				t.Errorf("GET %s without a token = %d %q, want 401", path, code, body)
			}
		})
	}

	t.Run("wrong token", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+c.Addr()+"/api/v1/namespaces", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer not-the-token")
		resp, err := anonymous.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/namespaces with a wrong token = %d, want 401", resp.StatusCode)
		}
	})

	t.Run("a CA other than the cluster's is refused", func(t *testing.T) {
		t.Parallel()
		other := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()},
		}}
		_, err := other.Get("https://" + c.Addr() + "/readyz")
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("GET /readyz trusting no CA: err = %v, want an unknown authority error", err)
		}
	})
}

func TestBindAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bind     string
		wantHost string
	}{
		{bind: "", wantHost: "127.0.0.1"},
		{bind: "127.0.0.1", wantHost: "127.0.0.1"},
		{bind: "0.0.0.0", wantHost: "127.0.0.1"},
		{bind: "::1", wantHost: "::1"},
		{bind: "::", wantHost: "::1"},
	}
	for _, tt := range tests {
		t.Run("bind "+tt.bind, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(tt.bind, ":") && !haveIPv6Loopback() {
				t.Skip("no IPv6 loopback here")
			}
			c := clustertest.StartWith(t, cluster.Options{DataDir: t.TempDir(), BindAddress: tt.bind})
			host, port, err := net.SplitHostPort(c.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if host != tt.wantHost || port == "0" {
				t.Errorf("Addr() = %q, want host %s and the port listened on", c.Addr(), tt.wantHost)
			}
			// The kubeconfig's CA verifies the serving certificate for the
			// address the kubeconfig names.
			code, body := get(t, kubeconfigHTTPClient(t, c.Kubeconfig()), "https://"+c.Addr()+"/readyz")
			if code != http.StatusOK {
				t.Errorf("GET /readyz = %d %q, want 200", code, body)
			}
		})
	}
}

func TestRESTConfig(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	v, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version = %q, want v1.37.2", v.GitVersion)
	}

	nsList, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range nsList.Items {
		names = append(names, ns.Name)
		if ns.Status.Phase != corev1.NamespaceActive {
			t.Errorf("namespace %s phase = %q, want Active", ns.Name, ns.Status.Phase)
		}
	}
	if diff := cmp.Diff([]string{"default", "kube-node-lease", "kube-public", "kube-system"}, names); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}

	_, portText, err := net.SplitHostPort(c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP != "10.96.0.1" || svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("kubernetes service: type %s clusterIP %s, want ClusterIP 10.96.0.1", svc.Spec.Type, svc.Spec.ClusterIP)
	}
	wantPorts := []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt(port)}}
	if diff := cmp.Diff(wantPorts, svc.Spec.Ports); diff != "" {
		t.Errorf("kubernetes service ports (-want +got):\n%s", diff)
	}

	ep, err := client.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantSubsets := []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "127.0.0.1"}},
		Ports:     []corev1.EndpointPort{{Name: "https", Port: int32(port), Protocol: corev1.ProtocolTCP}},
	}}
	if diff := cmp.Diff(wantSubsets, ep.Subsets); diff != "" {
		t.Errorf("kubernetes endpoints (-want +got):\n%s", diff)
	}

	slice, err := client.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := slice.Labels["kubernetes.io/service-name"]; got != "kubernetes" {
		t.Errorf("endpointslice service-name label = %q, want kubernetes", got)
	}
	if len(slice.Endpoints) != 1 || len(slice.Ports) != 1 ||
		!cmp.Equal(slice.Endpoints[0].Addresses, []string{"127.0.0.1"}) || *slice.Ports[0].Port != int32(port) {
		t.Errorf("kubernetes endpointslice = %+v %+v, want 127.0.0.1 port %d", slice.Endpoints, slice.Ports, port)
	}
}

// TestIPv6PrimaryServiceRange checks that the service ranges reach the API
// server in the order given: the first one's family is the primary.
func TestIPv6PrimaryServiceRange(t *testing.T) {
	t.Parallel()
	ranges := []netip.Prefix{netip.MustParsePrefix("fd00:10:96::/108"), netip.MustParsePrefix("10.96.0.0/16")}
	c := clustertest.StartWith(t, cluster.Options{DataDir: t.TempDir(), ServiceClusterIPRanges: ranges})
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	svc, err := client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fd00:10:96::1"}, svc.Spec.ClusterIPs); diff != "" || svc.Spec.ClusterIP != "fd00:10:96::1" {
		t.Errorf("kubernetes service clusterIP %q, clusterIPs (-want +got):\n%s", svc.Spec.ClusterIP, diff)
	}
	if diff := cmp.Diff([]corev1.IPFamily{corev1.IPv6Protocol}, svc.Spec.IPFamilies); diff != "" {
		t.Errorf("kubernetes service ipFamilies (-want +got):\n%s", diff)
	}
	cidr, err := client.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fd00:10:96::/108", "10.96.0.0/16"}, cidr.Spec.CIDRs); diff != "" {
		t.Errorf("kubernetes ServiceCIDR cidrs (-want +got):\n%s", diff)
	}
}

func TestRestartKeepsObjectsAndCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster; skipped with -short")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	first := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	oldKubeconfig, err := os.ReadFile(first.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	client := kubeconfigClient(t, oldKubeconfig)
	ctx := t.Context()
	cm, err := client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kept"},
		Data:       map[string]string{"k": "v"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps("default").Get(ctx, "kept", metav1.GetOptions{}); err == nil {
		t.Fatal("GET after Stop succeeded, want a connection error")
	}

	// Same port, so the kubeconfig written before the restart names the
	// right server: what must survive is the CA and the token.
	_, port, err := net.SplitHostPort(first.Addr())
	if err != nil {
		t.Fatal(err)
	}
	securePort, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	second := clustertest.StartWith(t, cluster.Options{DataDir: dir, SecurePort: securePort})
	newKubeconfig, err := os.ReadFile(second.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(oldKubeconfig), string(newKubeconfig)); diff != "" {
		t.Errorf("kubeconfig changed across a restart on the same data dir and port (-old +new):\n%s", diff)
	}

	client = kubeconfigClient(t, oldKubeconfig)
	got, err := client.CoreV1().ConfigMaps("default").Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("with the kubeconfig from before the restart: %v", err)
	}
	if got.UID != cm.UID || got.ResourceVersion != cm.ResourceVersion || !cmp.Equal(got.Data, cm.Data) {
		t.Errorf("configmap after restart = uid %s rv %s data %v, want uid %s rv %s data %v",
			got.UID, got.ResourceVersion, got.Data, cm.UID, cm.ResourceVersion, cm.Data)
	}
	svcAgain, err := client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svcAgain.UID != svc.UID {
		t.Errorf("kubernetes service recreated on restart: uid %s, was %s", svcAgain.UID, svc.UID)
	}
	// Revisions go on from where they were.
	got.Data["k"] = "w"
	updated, err := client.CoreV1().ConfigMaps("default").Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv(t, updated.ResourceVersion) <= rv(t, cm.ResourceVersion) {
		t.Errorf("resourceVersion after restart = %s, not after %s from before it", updated.ResourceVersion, cm.ResourceVersion)
	}
}

func TestClustersRunSideBySide(t *testing.T) {
	t.Parallel()
	a, b := clustertest.Start(t), clustertest.Start(t)
	if a.Addr() == b.Addr() || a.DataDir() == b.DataDir() || a.Kubeconfig() == b.Kubeconfig() {
		t.Fatalf("clusters share an address, data dir or kubeconfig: %s %s, %s %s", a.Addr(), a.DataDir(), b.Addr(), b.DataDir())
	}
	ctx := t.Context()
	ca, cb := clustertest.Client(t, a), clustertest.Client(t, b)
	if _, err := ca.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-a"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.CoreV1().ConfigMaps("default").Get(ctx, "only-in-a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cluster b: GET a's configmap: err = %v, want NotFound", err)
	}

	// Each cluster has its own credentials: a's token means nothing to b.
	crossed := a.RESTConfig()
	crossed.Host = b.RESTConfig().Host
	crossed.TLSClientConfig = b.RESTConfig().TLSClientConfig
	cross, err := kubernetes.NewForConfig(crossed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cross.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
		t.Errorf("cluster b with a's token: err = %v, want Unauthorized", err)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := kubeconfigHTTPClient(t, c.Kubeconfig())

	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = c.Stop() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop() call %d: %v", i+1, err)
		}
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop() after Stop: %v", err)
	}
	if _, err := client.Get("https://" + c.Addr() + "/livez"); err == nil {
		t.Error("GET /livez after Stop succeeded, want a connection error")
	}
}

// TestStopWithOpenWatch: a client watching (kubectl get -w, an informer in
// another program) must not hold up Stop, and so Ctrl-C.
func TestStopWithOpenWatch(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	w, err := clustertest.Client(t, c).CoreV1().Pods("default").Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- c.Stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
		t.Logf("stopped in %v", time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatalf("Stop still running 10s after it was called, with one watch open")
	}
	select {
	case _, ok := <-w.ResultChan():
		if ok {
			t.Error("the watch got an event after Stop, want it closed")
		}
	case <-time.After(10 * time.Second):
		t.Error("the watch is still open 10s after Stop returned")
	}
}

func TestKubeconfigOption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "nested", "admin.conf")
	c := clustertest.StartWith(t, cluster.Options{DataDir: dir, Kubeconfig: path})
	if c.Kubeconfig() != path {
		t.Errorf("Kubeconfig() = %q, want %q", c.Kubeconfig(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("kubeconfig mode = %o, want 600", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, "kubeconfig")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a kubeconfig was written into the data dir too (stat: %v)", err)
	}
	if code, body := get(t, kubeconfigHTTPClient(t, path), "https://"+c.Addr()+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz = %d %q, want 200", code, body)
	}
}

func TestKubeconfigIsMadePrivate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	clustertest.StartWith(t, cluster.Options{DataDir: t.TempDir(), Kubeconfig: path})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("kubeconfig that was 644 is now %o, want 600", perm)
	}
	loadKubeconfig(t, path)
}

func TestSecondClusterOnSameDataDirFails(t *testing.T) {
	t.Parallel()
	first := clustertest.Start(t)
	before, err := os.ReadFile(first.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	second, err := cluster.Start(t.Context(), cluster.Options{DataDir: first.DataDir()})
	if err == nil {
		second.Stop()
		t.Fatal("a second cluster started on a data dir in use, want an error")
	}
	if !strings.Contains(err.Error(), "open storage") {
		t.Errorf("Start error = %q, want it to say storage could not be opened", err)
	}
	after, err := os.ReadFile(first.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("the failed start rewrote the running cluster's kubeconfig")
	}
	if code, body := get(t, kubeconfigHTTPClient(t, first.Kubeconfig()), "https://"+first.Addr()+"/readyz"); code != http.StatusOK {
		t.Errorf("first cluster after the failed start: GET /readyz = %d %q, want 200", code, body)
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
		// leavesDataDir is set where the failure comes after storage was
		// created; the port must still be released.
		leavesDataDir bool
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
		name: "service ranges of one family",
		opts: func(d string) cluster.Options {
			return cluster.Options{DataDir: d, ServiceClusterIPRanges: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("10.1.0.0/16")}}
		},
		wantErr: "service cluster IP ranges",
	}, {
		name:    "data dir is a file",
		opts:    func(string) cluster.Options { return cluster.Options{DataDir: file} },
		wantErr: "create data dir",
	}, {
		name: "kubeconfig under a file",
		opts: func(d string) cluster.Options {
			return cluster.Options{DataDir: d, Kubeconfig: filepath.Join(file, "kubeconfig")}
		},
		wantErr:       "write kubeconfig",
		leavesDataDir: true,
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
			if _, err := os.Stat(dir); !tt.leavesDataDir && !os.IsNotExist(err) {
				t.Errorf("failed Start left data dir %s behind (stat: %v)", dir, err)
			}
			if tt.leavesDataDir {
				// Storage was closed: the same data dir starts now.
				clustertest.StartWith(t, cluster.Options{DataDir: dir})
			}
		})
	}
}

// loadKubeconfig reads and checks the kubeconfig at path.
func loadKubeconfig(tb testing.TB, path string) *clientcmdapi.Config {
	tb.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		tb.Fatalf("load kubeconfig: %v", err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		tb.Fatalf("kubeconfig %s is not valid: %v", path, err)
	}
	return cfg
}

// kubeconfigCA is the pool of the CA the kubeconfig at path trusts.
func kubeconfigCA(tb testing.TB, path string) *x509.CertPool {
	tb.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cfg.CAData) {
		tb.Fatalf("kubeconfig %s has no PEM CA", path)
	}
	return pool
}

// kubeconfigHTTPClient is an HTTP client that authenticates and verifies TLS
// as the kubeconfig at path says, as kubectl would.
func kubeconfigHTTPClient(tb testing.TB, path string) *http.Client {
	tb.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.Insecure {
		tb.Fatalf("kubeconfig %s skips TLS verification", path)
	}
	cfg.Timeout = 10 * time.Second
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(client.CloseIdleConnections)
	return client
}

// kubeconfigClient is a clientset from a kubeconfig's bytes.
func kubeconfigClient(tb testing.TB, kubeconfig []byte) kubernetes.Interface {
	tb.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

func get(tb testing.TB, client *http.Client, url string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func rv(tb testing.TB, s string) int64 {
	tb.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		tb.Fatalf("resourceVersion %q is not a number: %v", s, err)
	}
	return n
}

func haveIPv6Loopback() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}
