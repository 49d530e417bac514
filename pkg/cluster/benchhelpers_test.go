package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/remotecommand"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// benchNamespace is where the benchmarks create their pods.
const benchNamespace = "default"

// startBenchCluster starts a cluster of nodes fake nodes for b, as
// fakecluster runs (fsync included), and returns once every node is Ready
// with its pod CIDRs and the default ServiceAccount exists, so that what
// the benchmark times is pods, not start-up.
func startBenchCluster(b *testing.B, nodes int) *cluster.Cluster {
	b.Helper()
	quietKlog(b)
	c := clustertest.StartWith(b, cluster.Options{Nodes: nodes})
	waitBenchNodes(b, c, nodes)
	return c
}

// waitBenchNodes waits until c's nodes are Ready with pod CIDRs and the
// benchmarks' namespace has its default ServiceAccount, which pods need.
func waitBenchNodes(b *testing.B, c *cluster.Cluster, nodes int) {
	b.Helper()
	client := benchClients(b, c, 1)[0]
	clustertest.Poll(b, *benchWait, func() error {
		list, err := client.CoreV1().Nodes().List(b.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range list.Items {
			if len(n.Spec.PodCIDRs) > 0 && benchNodeReady(&n) {
				ready++
			}
		}
		if ready != nodes {
			return fmt.Errorf("%d of %d nodes Ready with pod CIDRs", ready, nodes)
		}
		return nil
	})
	clustertest.Poll(b, *benchWait, func() error {
		_, err := client.CoreV1().ServiceAccounts(benchNamespace).Get(b.Context(), "default", metav1.GetOptions{})
		return err
	})
}

// quietKlog keeps klog's global logger to errors while b runs, as
// clustertest.Main does for a test binary (this package has no TestMain):
// k8s.io/apiserver logs routine start-up and shutdown lines there for
// every cluster, and go test would print them among the results. The
// clusters' own loggers are discarded already (clustertest.StartWith).
func quietKlog(b *testing.B) {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard) // errors still reach stderr through stderrthreshold
	b.Cleanup(func() { klog.LogToStderr(true) })
}

func benchNodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// benchClients returns n clientsets for c, each on its own connection (a
// dialer of its own keeps client-go from sharing one transport), as
// separate programs would be, speaking protobuf as Kubernetes' own
// components do, with client-side rate limits far above what the server
// can take (QPS 5000, burst 10000), so the client is not what is measured.
func benchClients(b *testing.B, c *cluster.Cluster, n int) []kubernetes.Interface {
	b.Helper()
	clients := make([]kubernetes.Interface, n)
	for i := range clients {
		cfg := c.RESTConfig()
		cfg.QPS, cfg.Burst, cfg.RateLimiter = 5000, 10000, nil
		cfg.ContentType = kruntime.ContentTypeProtobuf
		cfg.AcceptContentTypes = kruntime.ContentTypeProtobuf + "," + kruntime.ContentTypeJSON
		cfg.Dial = (&net.Dialer{}).DialContext
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			b.Fatalf("clientset for %s: %v", c.Addr(), err)
		}
		clients[i] = client
	}
	return clients
}

// benchPod is a pod that runs until deleted: busybox sleeping an hour,
// labelled bench=batch so that a batch is watched and deleted as one.
func benchPod(name, batch string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": batch}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "sleep", Image: "busybox", Command: []string{"sleep", "3600"}}},
		},
	}
}

// createBenchPods creates the pods <batch>-0 … <batch>-(n-1), spread over
// the clients, one goroutine each, and returns when the last create
// returned.
func createBenchPods(ctx context.Context, clients []kubernetes.Interface, batch string, n int) (time.Time, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var last time.Time
	var firstErr error
	for _, client := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				_, err := client.CoreV1().Pods(benchNamespace).Create(ctx, benchPod(fmt.Sprintf("%s-%d", batch, i), batch), metav1.CreateOptions{})
				done := time.Now()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("create pod %s-%d: %w", batch, i, err)
				}
				if done.After(last) {
					last = done
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return last, firstErr
}

// podWatch follows the pods of one label selector through a watch (resumed
// by client-go's RetryWatcher if the server closes it) and counts those
// that exist and those whose phase is Running, as a client waiting for its
// pods would, and the time at which the last of them was bound to a node
// (the scheduler's share). It keeps only names and phases, so that it adds little to
// the RSS the memory benchmarks read.
type podWatch struct {
	mu       sync.Mutex
	phases   map[string]corev1.PodPhase
	bound    map[string]bool
	running  int
	lastBind time.Time // when the watch last saw a pod bound for the first time
	err      error
	changed  chan struct{} // closed and replaced at every change
	stop     func()        // ends the watch; safe to call twice
}

// watchBenchPods starts a podWatch of the pods labelled bench=batch; it
// stops when b ends.
func watchBenchPods(b *testing.B, client kubernetes.Interface, batch string) *podWatch {
	b.Helper()
	selector := "bench=" + batch
	pods := client.CoreV1().Pods(benchNamespace)
	list, err := pods.List(b.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		b.Fatalf("list pods %s: %v", selector, err)
	}
	w := &podWatch{phases: map[string]corev1.PodPhase{}, bound: map[string]bool{}, changed: make(chan struct{})}
	for i := range list.Items {
		w.set(&list.Items[i])
	}
	rw, err := watchtools.NewRetryWatcherWithContext(b.Context(), list.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			options.LabelSelector = selector
			return pods.Watch(ctx, options)
		},
	})
	if err != nil {
		b.Fatalf("watch pods %s: %v", selector, err)
	}
	w.stop = rw.Stop
	b.Cleanup(rw.Stop)
	go func() {
		for ev := range rw.ResultChan() {
			w.mu.Lock()
			switch ev.Type {
			case watch.Added, watch.Modified:
				if pod, ok := ev.Object.(*corev1.Pod); ok {
					w.set(pod)
				}
			case watch.Deleted:
				if pod, ok := ev.Object.(*corev1.Pod); ok {
					w.remove(pod.Name)
				}
			case watch.Error:
				w.err = fmt.Errorf("watch pods %s: %w", selector, apierrors.FromObject(ev.Object))
			}
			close(w.changed)
			w.changed = make(chan struct{})
			w.mu.Unlock()
		}
	}()
	return w
}

// set records pod's phase; the caller holds w.mu (or w is not shared yet).
func (w *podWatch) set(pod *corev1.Pod) {
	w.remove(pod.Name)
	w.phases[pod.Name] = pod.Status.Phase
	if pod.Spec.NodeName != "" && !w.bound[pod.Name] {
		w.bound[pod.Name] = true
		w.lastBind = time.Now()
	}
	if pod.Status.Phase == corev1.PodRunning {
		w.running++
	}
}

// remove forgets the pod name; the caller holds w.mu.
func (w *podWatch) remove(name string) {
	if phase, ok := w.phases[name]; ok {
		if phase == corev1.PodRunning {
			w.running--
		}
		delete(w.phases, name)
	}
}

// lastBound is when the watch first saw the last of its pods bound.
func (w *podWatch) lastBound() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastBind
}

// wait returns once ok(existing, running) holds, or an error if the watch
// failed or -bench-wait passed.
func (w *podWatch) wait(ctx context.Context, what string, ok func(existing, running int) bool) error {
	timeout := time.NewTimer(*benchWait)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		existing, running, err, changed := len(w.phases), w.running, w.err, w.changed
		bound := len(w.bound)
		w.mu.Unlock()
		if err != nil {
			return err
		}
		if ok(existing, running) {
			return nil
		}
		select {
		case <-changed:
		case <-timeout.C:
			return fmt.Errorf("pods not %s after %v: %d exist, %d ever bound, %d Running", what, *benchWait, existing, bound, running)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitRunning waits until n pods exist and all are Running.
func (w *podWatch) waitRunning(ctx context.Context, n int) error {
	return w.wait(ctx, "Running", func(existing, running int) bool { return existing == n && running == n })
}

// deleteBenchPods deletes the pods labelled bench=batch at once (grace
// period 0, as a kubelet's final delete), waits until the watch has seen
// them go and then until the kubelets have removed their folders, so that
// the next batch starts on a quiet cluster.
func deleteBenchPods(b *testing.B, c *cluster.Cluster, client kubernetes.Interface, w *podWatch, batch string) {
	b.Helper()
	err := client.CoreV1().Pods(benchNamespace).DeleteCollection(b.Context(),
		metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)},
		metav1.ListOptions{LabelSelector: "bench=" + batch})
	if err != nil {
		b.Fatalf("delete pods bench=%s: %v", batch, err)
	}
	if err := w.wait(b.Context(), "deleted", func(existing, _ int) bool { return existing == 0 }); err != nil {
		b.Fatal(err)
	}
	clustertest.Poll(b, *benchWait, func() error {
		nodes, err := os.ReadDir(c.SandboxDir())
		if err != nil {
			return err
		}
		for _, node := range nodes {
			pods, err := os.ReadDir(filepath.Join(c.SandboxDir(), node.Name(), "pods"))
			if err != nil && !os.IsNotExist(err) {
				return err
			}
			if len(pods) > 0 {
				return fmt.Errorf("%s still has %d pod folders", node.Name(), len(pods))
			}
		}
		return nil
	})
}

// settledRSS collects garbage, returns freed memory to the OS and then
// reads this process's resident set size (VmRSS of /proc/self/status) in
// bytes: the cluster runs in this process, so that is the cluster's memory
// plus the test binary's and its clients'. It also returns the heap in use
// after the collection. It skips b where there is no /proc.
func settledRSS(b *testing.B) (rss, heap uint64) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status here: %v", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		kb, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			b.Fatalf("VmRSS line %q: want a size in kB", line)
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(kb)), 10, 64)
		if err != nil {
			b.Fatalf("VmRSS line %q: %v", line, err)
		}
		return n << 10, ms.HeapInuse
	}
	b.Fatalf("no VmRSS in /proc/self/status:\n%s", status)
	return 0, 0
}

// benchMiB is bytes in MiB, for metrics.
func benchMiB(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

// processCPU is the CPU time (user and system) this process has used: the
// cluster's, the clients' and the test's. Per pod it is a figure that other
// load on the machine does not change, unlike the rates.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startServiceBench starts BenchmarkServiceRequests' cluster: two nodes,
// the Service "web" (port 80 to netexec's 8080) over the netexec pods
// web-0 on worker0 and web-1 on worker1, and the busybox pods client-0 …
// client-(clients-1) spread over both nodes, and idle selector-less
// Services idle-0 … idle-(idle-1). It returns once every pod is Running
// and the Service's EndpointSlices hold both servers, ready.
func startServiceBench(b *testing.B, clients, idle int) (*cluster.Cluster, kubernetes.Interface) {
	b.Helper()
	c := startBenchCluster(b, 2)
	client := benchClients(b, c, 1)[0]
	ctx := b.Context()
	const batch = "service-requests"
	w := watchBenchPods(b, client, batch)
	app := map[string]string{"app": "web", "bench": batch}
	var pods []*corev1.Pod
	for i := range 2 {
		pods = append(pods, netexecPod(fmt.Sprintf("web-%d", i), fmt.Sprintf("worker%d", i), app))
	}
	for i := range clients {
		p := benchPod(fmt.Sprintf("client-%d", i), batch)
		p.Spec.NodeName = fmt.Sprintf("worker%d", i%2)
		pods = append(pods, p)
	}
	for _, p := range pods {
		if _, err := client.CoreV1().Pods(benchNamespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			b.Fatalf("create pod %s: %v", p.Name, err)
		}
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := client.CoreV1().Services(benchNamespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		b.Fatalf("create service web: %v", err)
	}
	if err := createIdleServices(ctx, benchClients(b, c, 8), idle); err != nil {
		b.Fatal(err)
	}
	if err := w.waitRunning(ctx, len(pods)); err != nil {
		b.Fatal(err)
	}
	w.stop()
	clustertest.Poll(b, *benchWait, func() error {
		list, err := client.DiscoveryV1().EndpointSlices(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return err
		}
		ready := 0
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if ptr.Deref(e.Conditions.Ready, false) {
					ready++
				}
			}
		}
		if ready != 2 {
			return fmt.Errorf("service web has %d ready endpoints, want 2", ready)
		}
		return nil
	})
	return c, client
}

// createIdleServices creates the ClusterIP Services idle-0 … idle-(n-1),
// without selectors (so without endpoints), spread over the clients.
func createIdleServices(ctx context.Context, clients []kubernetes.Interface, n int) error {
	var next atomic.Int64
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for ci, client := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				svc := &corev1.Service{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("idle-%d", i)},
					Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
				}
				if _, err := client.CoreV1().Services(benchNamespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
					errs[ci] = fmt.Errorf("create service %s: %w", svc.Name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// execInAll runs cmd at once in the pods client-0 … client-(n-1), one exec
// each, and returns the first failure.
func execInAll(ctx context.Context, c *cluster.Cluster, client kubernetes.Interface, n int, cmd ...string) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = benchExec(ctx, c, client, fmt.Sprintf("client-%d", i), cmd...) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// benchExec runs cmd in pod's first container as kubectl exec does:
// through the API server to the kubelet over client-go's websocket
// executor. A command that exits non-zero is an error carrying its stderr.
func benchExec(ctx context.Context, c *cluster.Cluster, client kubernetes.Interface, pod string, cmd ...string) error {
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(benchNamespace).Name(pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	exec, err := remotecommand.NewWebSocketExecutor(clustertest.Config(c), "GET", req.URL().String())
	if err != nil {
		return fmt.Errorf("exec in %s: %w", pod, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *benchWait)
	defer cancel()
	var stderr bytes.Buffer
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard, Stderr: &stderr}); err != nil {
		return fmt.Errorf("exec %q in %s: %w: %s", cmd, pod, err, stderr.Bytes())
	}
	return nil
}
