package endpointslice_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// TestReadyToSliceLatency measures, with 1,000 pods behind one Service,
// how long after the last pod's Ready status is written its endpoint shows
// ready in a slice (as a watcher such as kube-proxy sees it). It logs the
// figures and asserts none: timings depend on the machine.
func TestReadyToSliceLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,000 pods")
	}
	const n, samples = 1000, 5
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.12"))

	setupStart := time.Now()
	pods := make([]*corev1.Pod, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < n; i += 10 {
				p, err := createAndStart(client, t, i, i < n-1)
				if err != nil {
					errs <- err
					return
				}
				pods[i] = p
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create pods: %v", err)
	}
	last := pods[n-1]
	lastIP := last.Status.PodIPs[0].IP
	waitReady := func(want int, lastReady bool) {
		t.Helper()
		clustertest.Poll(t, 2*time.Minute, func() error {
			items, err := ownedSlices(t.Context(), client, "web")
			if err != nil {
				return err
			}
			ready, total, lastSeen := 0, 0, false
			for _, s := range items {
				for _, e := range s.Endpoints {
					total++
					if ptr.Deref(e.Conditions.Ready, false) {
						ready++
					}
					if slices.Contains(e.Addresses, lastIP) {
						lastSeen = ptr.Deref(e.Conditions.Ready, false) == lastReady
					}
				}
			}
			if total != n || ready != want || !lastSeen {
				return fmt.Errorf("%d endpoints, %d ready; want %d, %d", total, ready, n, want)
			}
			return nil
		})
	}
	waitReady(n-1, false)
	t.Logf("setup: %d pods and their slices in %v", n, time.Since(setupStart))

	var latencies []time.Duration
	for range samples {
		// Let the controller's informers catch up with its last writes.
		time.Sleep(500 * time.Millisecond)
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list slices: %v", err)
		}
		w, err := client.DiscoveryV1().EndpointSlices(ns).Watch(t.Context(), metav1.ListOptions{
			ResourceVersion: list.ResourceVersion,
			LabelSelector:   discoveryv1.LabelServiceName + "=web",
		})
		if err != nil {
			t.Fatalf("watch slices: %v", err)
		}
		start := time.Now()
		last = setStatus(t, client, last, true, lastIP)
		latencies = append(latencies, waitForReadyEvent(t, w, lastIP, start))
		w.Stop()
		last = setStatus(t, client, last, false, lastIP)
		waitReady(n-1, false)
	}
	slices.Sort(latencies)
	t.Logf("last pod Ready -> ready in its EndpointSlice, %d pods, %d samples: min %v, median %v, max %v",
		n, samples, latencies[0], latencies[len(latencies)/2], latencies[len(latencies)-1])
}

// createAndStart creates pod i of the latency test and writes a running
// status with an IP, Ready or not.
func createAndStart(client kubernetes.Interface, tb testing.TB, i int, ready bool) (*corev1.Pod, error) {
	p, err := client.CoreV1().Pods(ns).Create(tb.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%04d", i), Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "c", Image: "nginx",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	ip := fmt.Sprintf("10.244.%d.%d", i/250, i%250+2)
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond, LastTransitionTime: metav1.Now()}}}
	return client.CoreV1().Pods(ns).UpdateStatus(tb.Context(), p, metav1.UpdateOptions{})
}

// waitForReadyEvent returns how long after start w delivered a slice in
// which ip is ready.
func waitForReadyEvent(t *testing.T, w watch.Interface, ip string, start time.Time) time.Duration {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed before %s was ready", ip)
			}
			s, isSlice := ev.Object.(*discoveryv1.EndpointSlice)
			if !isSlice || ev.Type == watch.Deleted {
				continue
			}
			for _, e := range s.Endpoints {
				if slices.Contains(e.Addresses, ip) && ptr.Deref(e.Conditions.Ready, false) {
					return time.Since(start)
				}
			}
		case <-timeout:
			t.Fatalf("%s not ready in a slice after a minute", ip)
		}
	}
}
