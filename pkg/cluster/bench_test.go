package cluster_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// The benchmarks measure pods end to end: created through client-go over
// HTTPS, scheduled, run by the fake kubelets and seen Running through a
// watch, on clusters in this process (so RSS is read from /proc/self). They
// report figures and assert none:
//
//	go test ./pkg/cluster -run '^$' -bench 'PodsToRunning|LastCreate|IdleRSS' -benchtime 1x -count 3
//	go test ./pkg/cluster -run '^$' -bench RSSPerPod -benchtime 1x [-rss-pods 10000 -rss-nodes 100 -bench-wait 10m] -timeout 60m
//
// The rates depend on what else the machine runs; cpu-ms/pod (the process's
// CPU time over the pods) much less: on 2 idle cores the rate can be at most
// 2000 / cpu-ms/pod pods/s.
//
// Targets (2 cores): ≥ 1000 pods/s to Running, ≤ 1 s from the last create
// of 1,000 pods to all Running, ≤ 2 MiB of RSS per Running pod.

var (
	benchBatch = flag.Int("bench-batch", 1000, "pods per iteration of BenchmarkPodsToRunning")
	rssPods    = flag.Int("rss-pods", 10000, "pods BenchmarkRSSPerPod runs")
	rssNodes   = flag.Int("rss-nodes", 100, "nodes BenchmarkRSSPerPod runs them on")
	// benchWait bounds every wait, so that a cluster that stops making
	// progress fails the benchmark instead of hanging it: a deadlock
	// guard, not a timed assertion.
	benchWait = flag.Duration("bench-wait", 10*time.Minute, "how long the benchmarks wait for pods and nodes before failing")
	// benchRequests is how many requests each client of
	// BenchmarkServiceRequests makes in one exec.
	benchRequests = flag.Int("bench-requests", 20, "HTTP requests each client makes per iteration of BenchmarkServiceRequests")
	// benchServices adds Services that BenchmarkServiceRequests' requests
	// do not use, to show what a request's cost owes to their number.
	benchServices = flag.Int("bench-services", 0, "idle Services BenchmarkServiceRequests adds beside web")
)

// benchClientCount is how many clients create pods at once, each in its
// own goroutine on its own connection.
const benchClientCount = 32

// nodePodCapacity is the pods a fake node accepts (its pods capacity).
const nodePodCapacity = 110

// BenchmarkPodsToRunning creates -bench-batch pods per iteration on 10 nodes
// from 32 clients and reports pods/s from the first create to the watch
// seeing every pod Running, creates/s up to the last create returning
// (while scheduler and kubelets already work) and the CPU time per pod.
// Each iteration's pods are deleted, and the kubelets done with them,
// before the next begins.
func BenchmarkPodsToRunning(b *testing.B) {
	const nodes = 10
	n := *benchBatch
	if n < 1 || n > nodes*nodePodCapacity {
		b.Fatalf("-bench-batch %d: want 1 to %d (%d nodes of %d pods)", n, nodes*nodePodCapacity, nodes, nodePodCapacity)
	}
	c := startBenchCluster(b, nodes)
	clients := benchClients(b, c, benchClientCount)
	var total, creating, cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batch := fmt.Sprintf("run%d", i)
		w := watchBenchPods(b, clients[0], batch)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU(b)
		lastCreate, err := createBenchPods(b.Context(), clients, batch, n)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.waitRunning(b.Context(), n); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		cpu += processCPU(b) - cpu0
		creating += lastCreate.Sub(start)
		b.StopTimer()
		deleteBenchPods(b, c, clients[0], w, batch)
		w.stop()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "pods/s")
	b.ReportMetric(float64(n*b.N)/creating.Seconds(), "creates/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n*b.N), "cpu-ms/pod")
}

// BenchmarkServiceRequests measures the pod network end to end: on two
// nodes, a Service "web" over two agnhost netexec pods and ten busybox
// client pods; each iteration runs, in every client at once, one exec (as
// kubectl exec does, over the API server's websocket to the kubelet) of a
// shell loop of -bench-requests (20) `wget -qO- http://web/hostname`:
// a DNS lookup through the search path, kube-proxy's choice of endpoint
// and an HTTP exchange with netexec per request. It reports requests/s
// and the process's CPU time per request, the exec's set-up included.
// -bench-services N adds N selector-less Services that nothing uses:
// neither figure should move with them.
//
//	go test ./pkg/cluster -run '^$' -bench ServiceRequests -benchtime 3x [-bench-requests 20 -bench-services 1000]
func BenchmarkServiceRequests(b *testing.B) {
	const clients = 10
	r := *benchRequests
	if r < 1 || *benchServices < 0 {
		b.Fatalf("-bench-requests %d, -bench-services %d: want at least 1 request and no negative count", r, *benchServices)
	}
	c, client := startServiceBench(b, clients, *benchServices)
	cmd := []string{"sh", "-c", fmt.Sprintf("for i in $(seq %d); do wget -qO- http://web/hostname >/dev/null || exit 1; done", r)}
	// One request from each client first, so that what is timed is
	// neither a client's first exec nor its first lookup.
	if err := execInAll(b.Context(), c, client, clients, "sh", "-c", "wget -qO- http://web/hostname >/dev/null"); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	iterations := 0
	for b.Loop() {
		cpu0 := processCPU(b)
		if err := execInAll(b.Context(), c, client, clients, cmd...); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b) - cpu0
		iterations++
	}
	requests := float64(clients * r * iterations)
	b.ReportMetric(requests/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(cpu.Microseconds())/requests, "cpu-us/request")
}

// BenchmarkLastCreateToAllRunning creates 1,000 pods on 10 nodes from 32
// clients and reports the milliseconds from the last create returning to
// the watch seeing all of them Running: the lag of scheduler and kubelets
// behind the API; and the part of it until the last pod was bound (the
// scheduler's, negative if it kept up with the creates).
func BenchmarkLastCreateToAllRunning(b *testing.B) {
	const nodes, n = 10, 1000
	c := startBenchCluster(b, nodes)
	clients := benchClients(b, c, benchClientCount)
	var lag, all, bind, cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batch := fmt.Sprintf("run%d", i)
		w := watchBenchPods(b, clients[0], batch)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU(b)
		lastCreate, err := createBenchPods(b.Context(), clients, batch, n)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.waitRunning(b.Context(), n); err != nil {
			b.Fatal(err)
		}
		done := time.Now()
		cpu += processCPU(b) - cpu0
		lag += done.Sub(lastCreate)
		bind += w.lastBound().Sub(lastCreate)
		all += done.Sub(start)
		b.StopTimer()
		deleteBenchPods(b, c, clients[0], w, batch)
		w.stop()
	}
	b.ReportMetric(float64(lag.Microseconds())/1000/float64(b.N), "ms-after-last-create")
	b.ReportMetric(float64(bind.Microseconds())/1000/float64(b.N), "ms-after-last-create-to-all-bound")
	b.ReportMetric(float64(all.Microseconds())/1000/float64(b.N), "ms-first-create-to-all-running")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n*b.N), "cpu-ms/pod")
}

// BenchmarkRSSPerPod runs -rss-pods pods (10,000) on -rss-nodes nodes (100)
// and reports the process's RSS with the cluster idle before and with every
// pod Running after, and the difference per pod. It takes minutes, so it
// runs only when -bench names it; each iteration is a new cluster (use
// -benchtime 1x).
func BenchmarkRSSPerPod(b *testing.B) {
	if !strings.Contains(flag.Lookup("test.bench").Value.String(), "RSSPerPod") {
		b.Skip("slow: runs only when -bench names RSSPerPod")
	}
	nodes, n := *rssNodes, *rssPods
	if nodes < 1 || n < 1 || n > nodes*nodePodCapacity {
		b.Fatalf("-rss-pods %d on -rss-nodes %d: want at least one of each and at most %d pods a node", n, nodes, nodePodCapacity)
	}
	var before, after, heapBefore, heapAfter uint64
	var toRunning time.Duration
	for range b.N {
		c := startBenchCluster(b, nodes)
		clients := benchClients(b, c, benchClientCount)
		w := watchBenchPods(b, clients[0], "rss")
		rss0, heap0 := settledRSS(b)
		start := time.Now()
		if _, err := createBenchPods(b.Context(), clients, "rss", n); err != nil {
			b.Fatal(err)
		}
		if err := w.waitRunning(b.Context(), n); err != nil {
			b.Fatal(err)
		}
		toRunning += time.Since(start)
		rss1, heap1 := settledRSS(b)
		before, after = before+rss0, after+rss1
		heapBefore, heapAfter = heapBefore+heap0, heapAfter+heap1
		b.StopTimer()
		w.stop()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	runs := float64(b.N)
	b.ReportMetric(benchMiB(before)/runs, "MiB-rss-before")
	b.ReportMetric(benchMiB(after)/runs, "MiB-rss-after")
	b.ReportMetric((float64(after)-float64(before))/runs/float64(n), "rss-B/pod")
	b.ReportMetric((float64(heapAfter)-float64(heapBefore))/runs/float64(n), "heap-B/pod")
	b.ReportMetric(float64(n)*runs/toRunning.Seconds(), "pods/s")
}

// BenchmarkIdleRSS starts a one-node cluster, leaves it idle for 3 s and
// reports the process's RSS, how much of it came with the cluster, and how
// many goroutines were still running a second after the cluster stopped
// (a leak if it grows with -count). Run it alone: in-process RSS includes
// whatever benchmarks before it left behind.
func BenchmarkIdleRSS(b *testing.B) {
	const idle = 3 * time.Second
	var base, idleRSS, heap uint64
	var left int
	for range b.N {
		rss0, _ := settledRSS(b)
		goroutines := runtime.NumGoroutine()
		c := startBenchCluster(b, 1)
		time.Sleep(idle)
		rss1, heap1 := settledRSS(b)
		base, idleRSS, heap = base+rss0, idleRSS+rss1, heap+heap1
		b.StopTimer()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(time.Second) // for connections to notice the server is gone
		left += runtime.NumGoroutine() - goroutines
		b.StartTimer()
	}
	runs := float64(b.N)
	b.ReportMetric(float64(left)/runs, "goroutines-left-after-stop")
	b.ReportMetric(benchMiB(idleRSS)/runs, "MiB-rss")
	b.ReportMetric((benchMiB(idleRSS)-benchMiB(base))/runs, "MiB-rss-of-cluster")
	b.ReportMetric(benchMiB(heap)/runs, "MiB-heap")
}

// BenchmarkStart starts a one-node cluster in this process, in a data dir
// of its own, and reports how long Start took to return (the API server
// ready, CRDs' informers synced) and how long until the node was Ready with
// its pod CIDRs and the default namespace had its ServiceAccount, as a
// test's first pod needs; then it stops the cluster, which it reports too.
func BenchmarkStart(b *testing.B) {
	quietKlog(b)
	var start, ready, stop time.Duration
	for range b.N {
		t0 := time.Now()
		c, err := cluster.Start(klog.NewContext(context.Background(), logr.Discard()), cluster.Options{Nodes: 1, DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		start += time.Since(t0)
		waitBenchNodes(b, c, 1)
		ready += time.Since(t0)
		t1 := time.Now()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		stop += time.Since(t1)
	}
	runs := float64(b.N)
	b.ReportMetric(float64(start.Milliseconds())/runs, "ms-to-start")
	b.ReportMetric(float64(ready.Milliseconds())/runs, "ms-to-node-ready")
	b.ReportMetric(float64(stop.Milliseconds())/runs, "ms-to-stop")
}
