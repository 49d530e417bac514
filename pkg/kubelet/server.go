package kubelet

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

// APIServerClientCN is the common name of the client certificate the API
// server presents to kubelets (kubeadm's apiserver-kubelet-client).
const APIServerClientCN = "kube-apiserver-kubelet-client"

// Server is the kubelet HTTP API of every kubelet of a process, on one
// listener: HTTPS with a serving certificate per node signed by the
// cluster CA, picked by TLS server name, and only for callers with the
// API server's client certificate. It serves the paths kube-apiserver
// proxies to: healthz, pods, containerLogs and exec.
type Server struct {
	caCert *x509.Certificate
	caKey  crypto.Signer
	pool   *x509.CertPool

	mu       sync.Mutex
	kubelets map[string]*Kubelet
	certs    map[string]*tls.Certificate
}

// NewServer returns a server whose certificates caCertPEM and caKeyPEM sign
// and whose callers' client certificates they verify.
func NewServer(caCert *x509.Certificate, caKey crypto.Signer) *Server {
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &Server{caCert: caCert, caKey: caKey, pool: pool, kubelets: map[string]*Kubelet{}, certs: map[string]*tls.Certificate{}}
}

// Add serves k's node.
func (s *Server) Add(k *Kubelet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kubelets[k.cfg.NodeName] = k
}

// Serve serves on l until ctx is done.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler: s.handler(),
		TLSConfig: &tls.Config{
			MinVersion:     tls.VersionTLS13,
			ClientAuth:     tls.VerifyClientCertIfGiven,
			ClientCAs:      s.pool,
			GetCertificate: s.certificate,
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	err := srv.ServeTLS(l, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// certificate issues (once) the serving certificate of the node the
// client asked for.
func (s *Server) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.certs[name]; ok {
		return c, nil
	}
	k, ok := s.kubelets[name]
	if !ok && name != "" {
		return nil, fmt.Errorf("no node %q here", name)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name + "@kubelet"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if name != "" {
		tmpl.DNSNames = []string{name}
		for _, ip := range k.cfg.NodeIPs {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, key.Public(), s.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	s.certs[name] = c
	return c, nil
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /pods", s.pods)
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", s.logs)
	mux.HandleFunc("/exec/{ns}/{pod}/{container}", s.exec)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if cn := r.TLS.PeerCertificates[0].Subject.CommonName; cn != APIServerClientCN {
			http.Error(w, fmt.Sprintf("Forbidden (user=%s, verb=get, resource=nodes, subresource(s)=[proxy])", cn), http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// kubelet is the kubelet of the node the request is for.
func (s *Server) kubelet(r *http.Request) *Kubelet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kubelets[r.TLS.ServerName]
}

func (s *Server) pods(w http.ResponseWriter, r *http.Request) {
	k := s.kubelet(r)
	if k == nil || k.pods == nil {
		http.Error(w, "node not found", http.StatusNotFound)
		return
	}
	pods, _ := k.pods.List(labels.Everything())
	list := corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	for _, p := range pods {
		list.Items = append(list.Items, *p)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&list)
}

// logs serves containerLogs from the container's CRI log file.
func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	k := s.kubelet(r)
	if k == nil {
		http.Error(w, "node not found", http.StatusNotFound)
		return
	}
	ns, name, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	pod, err := k.pods.Pods(ns).Get(name)
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %q not found", name), http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	opts := logOptions{previous: q.Get("previous") == "true", timestamps: q.Get("timestamps") == "true", follow: q.Get("follow") == "true"}
	if err := opts.parse(q); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	status, ok := containerStatus(pod, container)
	if !ok {
		http.Error(w, fmt.Sprintf("container %q in pod %q is not available", container, name), http.StatusBadRequest)
		return
	}
	restart := status.RestartCount
	if opts.previous {
		if status.LastTerminationState.Terminated == nil || restart == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, name), http.StatusBadRequest)
			return
		}
		restart--
	} else if status.State.Waiting != nil && status.ContainerID == "" {
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, name, status.State.Waiting.Reason), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	running := func() bool { return k.isRunning(pod.UID, container) }
	if err := streamLog(r.Context(), w, k.LogPath(pod, container, restart), opts, running); err != nil && r.Context().Err() == nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func containerStatus(pod *corev1.Pod, name string) (corev1.ContainerStatus, bool) {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			if s.Name == name {
				return s, true
			}
		}
	}
	return corev1.ContainerStatus{}, false
}

// exec runs a command in a running container over the streaming
// protocols kubectl speaks (SPDY and websocket), through cri-streaming.
func (s *Server) exec(w http.ResponseWriter, r *http.Request) {
	k := s.kubelet(r)
	if k == nil {
		http.Error(w, "node not found", http.StatusNotFound)
		return
	}
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ns, name, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	pod, err := k.pods.Pods(ns).Get(name)
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %q not found", name), http.StatusNotFound)
		return
	}
	remotecommand.ServeExec(w, r, execer{k: k, pod: pod}, pod.Namespace+"/"+pod.Name, string(pod.UID), container,
		r.URL.Query()["command"], opts, 4*time.Hour, 30*time.Second, remotecommand.SupportedStreamingProtocols)
}

// execer runs exec requests in the simulated runtime.
type execer struct {
	k   *Kubelet
	pod *corev1.Pod
}

func (e execer) ExecInContainer(ctx context.Context, _ string, _ string, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	proc := e.k.running(e.pod.UID, container)
	if proc == nil {
		return fmt.Errorf("container %s is not running", container)
	}
	var stdout, stderr io.Writer = io.Discard, io.Discard
	if out != nil {
		stdout = out
	}
	if errOut != nil {
		stderr = errOut
	}
	sizes := make(chan runtime.TerminalSize)
	go func() {
		defer close(sizes)
		for s := range resize {
			select {
			case sizes <- runtime.TerminalSize{Width: s.Width, Height: s.Height}:
			case <-ctx.Done():
				return
			}
		}
	}()
	code, err := proc.Exec(ctx, cmd, in, stdout, stderr, tty, sizes)
	if err != nil {
		return err // the runtime's error has containerd's words already
	}
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	}
	return nil
}

// running is the process of a pod's container that runs now, or nil.
func (k *Kubelet) running(uid any, container string) *runtime.Container {
	v, ok := k.procs.Load(procKey(uid, container))
	if !ok {
		return nil
	}
	return v.(*runtime.Container)
}

func (k *Kubelet) isRunning(uid any, container string) bool { return k.running(uid, container) != nil }

func procKey(uid any, container string) string { return fmt.Sprint(uid) + "/" + container }

var _ = strings.Cut
