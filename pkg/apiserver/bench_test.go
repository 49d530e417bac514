package apiserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// The benchmarks answer the questions of the performance issue: cold start to
// /readyz (target ≤ 300 ms), idle RSS of the binary (target ≤ 80 MB), pod
// create/get/list throughput through client-go over HTTPS with 1 and 32
// clients, and a LIST of 10,000 pods. Storage runs as fakecluster runs it,
// with fsync.
//
//	go test -run '^$' -bench . -benchtime 2s ./pkg/apiserver/

// BenchmarkColdStart is cluster.Start on a fresh data dir until it returns,
// which is once /readyz answers ok and the kubeconfig is written.
func BenchmarkColdStart(b *testing.B) {
	ctx := klog.NewContext(b.Context(), logr.Discard())
	var total time.Duration
	for range b.N {
		dir := filepath.Join(b.TempDir(), "state")
		start := time.Now()
		c, err := cluster.Start(ctx, cluster.Options{DataDir: dir})
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		total += elapsed
		b.StopTimer()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
}

// clientCounts are the concurrent clients each throughput benchmark runs
// with: one, and many, each with its own connection as separate programs
// would have.
var clientCounts = []int{1, 32}

func BenchmarkPodCreate(b *testing.B) {
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			c := clustertest.StartControlPlane(b, cluster.Options{})
			clients := benchClients(b, c, n, "")
			parallel(b, clients, func(client kubernetes.Interface, i int) error {
				_, err := client.CoreV1().Pods("default").Create(context.Background(), benchPod(fmt.Sprintf("pod-%d", i)), metav1.CreateOptions{})
				return err
			})
		})
	}
}

func BenchmarkPodGet(b *testing.B) {
	const pods = 100
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			c := clustertest.StartControlPlane(b, cluster.Options{})
			clients := benchClients(b, c, n, "")
			createPods(b, clients, pods)
			parallel(b, clients, func(client kubernetes.Interface, i int) error {
				_, err := client.CoreV1().Pods("default").Get(context.Background(), fmt.Sprintf("pod-%d", i%pods), metav1.GetOptions{})
				return err
			})
		})
	}
}

// BenchmarkPodList lists a namespace of 100 pods.
func BenchmarkPodList(b *testing.B) {
	const pods = 100
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("pods=%d/clients=%d", pods, n), func(b *testing.B) {
			c := clustertest.StartControlPlane(b, cluster.Options{})
			clients := benchClients(b, c, n, "")
			createPods(b, clients, pods)
			parallel(b, clients, func(client kubernetes.Interface, i int) error {
				list, err := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{})
				if err == nil && len(list.Items) != pods {
					err = fmt.Errorf("listed %d pods, want %d", len(list.Items), pods)
				}
				return err
			})
		})
	}
}

// BenchmarkListPods10k lists 10,000 pods in one request, as JSON (client-go's
// default) and as protobuf (what kube-controller-manager asks for).
func BenchmarkListPods10k(b *testing.B) {
	const pods = 10000
	c := clustertest.StartControlPlane(b, cluster.Options{})
	createPods(b, benchClients(b, c, 32, ""), pods)
	for _, encoding := range []struct{ name, contentType string }{
		{"json", ""},
		{"protobuf", runtime.ContentTypeProtobuf},
	} {
		b.Run(encoding.name, func(b *testing.B) {
			client := benchClients(b, c, 1, encoding.contentType)[0]
			b.ResetTimer()
			for range b.N {
				list, err := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if len(list.Items) != pods {
					b.Fatalf("listed %d pods, want %d", len(list.Items), pods)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
		})
	}
}

// BenchmarkIdleRSS builds the fakecluster binary, starts it, leaves it idle
// for 2 s and reports its resident set size.
func BenchmarkIdleRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("builds and runs the fakecluster binary; skipped with -short")
	}
	bin := filepath.Join(b.TempDir(), "fakecluster")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/fakecluster/fakecluster/cmd/fakecluster").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	b.ResetTimer()
	var total float64
	for range b.N {
		total += idleRSS(b, bin)
	}
	b.ReportMetric(total/float64(b.N), "MB")
}

// idleRSS runs bin until its start-up line, waits 2 s and returns its VmRSS
// in MB (2^20 bytes).
func idleRSS(b *testing.B, bin string) float64 {
	b.Helper()
	cmd := exec.Command(bin, "--data-dir", filepath.Join(b.TempDir(), "state"), "--secure-port", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "fakecluster: Kubernetes") {
		b.Fatalf("start-up line %q, %v", line, err)
	}
	time.Sleep(2 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB$`).FindSubmatch(status)
	if m == nil {
		b.Fatalf("no VmRSS in /proc/%d/status:\n%s", cmd.Process.Pid, status)
	}
	kb, err := strconv.Atoi(string(m[1]))
	if err != nil {
		b.Fatal(err)
	}
	return float64(kb) / 1024
}

// benchClients returns n clientsets for c, each with its own connection (a
// custom dialer keeps client-go from sharing one transport), no client-side
// rate limit, and contentType on the wire ("" for client-go's default, JSON).
func benchClients(b *testing.B, c *cluster.Cluster, n int, contentType string) []kubernetes.Interface {
	b.Helper()
	clients := make([]kubernetes.Interface, n)
	for i := range clients {
		cfg := clustertest.Config(c)
		cfg.ContentType = contentType
		cfg.Dial = (&net.Dialer{}).DialContext
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			b.Fatal(err)
		}
		clients[i] = client
	}
	return clients
}

// parallel runs b.N calls of op, numbered 0 to b.N-1, spread over the
// clients, one goroutine each, and reports the throughput.
func parallel(b *testing.B, clients []kubernetes.Interface, op func(client kubernetes.Interface, i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	b.ResetTimer()
	for _, client := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := op(client, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// createPods creates pod-0 … pod-(n-1) in default, spread over the clients.
func createPods(b *testing.B, clients []kubernetes.Interface, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for _, client := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := client.CoreV1().Pods("default").Create(context.Background(), benchPod(fmt.Sprintf("pod-%d", i)), metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchPod is a small but typical pod: labels, one container with a port,
// requests and an environment variable.
func benchPod(name string) *corev1.Pod {
	pod := newPod(name, "default")
	pod.Labels = map[string]string{"app": "bench", "pod-template-hash": "5d9f8c7b6"}
	pod.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MODE", Value: "bench"}}
	pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
	}
	return pod
}

// BenchmarkAuthorization is pod create and list by a ServiceAccount that a
// RoleBinding lets do both, under RBAC (after the bootstrap policy's
// bindings are searched) and under AlwaysAllow: what authorization costs
// a request that is not a cluster admin's.
func BenchmarkAuthorization(b *testing.B) {
	for _, mode := range []string{"RBAC", "AlwaysAllow"} {
		c := clustertest.StartAPI(b, cluster.Options{AuthorizationModes: []string{mode}})
		admin := clustertest.Client(b, c)
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: "default"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "list"}}},
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: "default"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pods"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "bench", Namespace: "default"}},
		}
		if _, err := admin.RbacV1().Roles("default").Create(b.Context(), role, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.RbacV1().RoleBindings("default").Create(b.Context(), binding, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		sa := saClient(b, c, admin, "default", "bench")
		clustertest.Poll(b, 10*time.Second, func() error {
			_, err := sa.CoreV1().Pods("default").List(b.Context(), metav1.ListOptions{Limit: 1})
			return err
		})
		clients := []kubernetes.Interface{sa}
		b.Run("mode="+mode+"/op=create", func(b *testing.B) {
			parallel(b, clients, func(client kubernetes.Interface, i int) error {
				_, err := client.CoreV1().Pods("default").Create(context.Background(), benchPod(fmt.Sprintf("%s-%d", strings.ToLower(mode), i)), metav1.CreateOptions{})
				return err
			})
		})
		b.Run("mode="+mode+"/op=list", func(b *testing.B) {
			parallel(b, clients, func(client kubernetes.Interface, i int) error {
				_, err := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{Limit: 10})
				return err
			})
		})
	}
}
