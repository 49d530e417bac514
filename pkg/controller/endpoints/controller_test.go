package endpoints_test

//lint:file-ignore SA1019 fakecluster serves and maintains core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/endpoints"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// ownController names the controller(s) a test here runs itself: the
// cluster runs every other one, so that the two do not race.
var ownController = []string{"endpoints-controller"}

// start runs a cluster and, against it, an Endpoints controller that stops
// before the cluster does. It returns the cluster's REST config too.
func start(tb testing.TB) (kubernetes.Interface, *rest.Config) {
	tb.Helper()
	client, cfg := startCluster(tb)
	runController(tb, client)
	return client, cfg
}

// startCluster runs a cluster with the default service account pods need.
func startCluster(tb testing.TB) (kubernetes.Interface, *rest.Config) {
	tb.Helper()
	c := controllertest.StartWithout(tb, ownController...)
	client := clustertest.Client(tb, c)
	return client, clustertest.Config(c)
}

// runController runs an Endpoints controller against client until tb ends.
func runController(tb testing.TB, client kubernetes.Interface) {
	tb.Helper()
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := endpoints.New(client, factory, endpoints.Options{})
	if err != nil {
		tb.Fatalf("endpoints.New: %v", err)
	}
	controllertest.Run(controllertest.Context(tb), tb, factory, func(ctx context.Context) { ctrl.Run(ctx, 5) })
}

const ns = metav1.NamespaceDefault

func createNode(tb testing.TB, client kubernetes.Interface, name string) {
	tb.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Nodes().Create(tb.Context(), node, metav1.CreateOptions{}); err != nil {
		tb.Fatalf("create node: %v", err)
	}
}

func createService(tb testing.TB, client kubernetes.Interface, svc *corev1.Service) *corev1.Service {
	tb.Helper()
	got, err := client.CoreV1().Services(ns).Create(tb.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		tb.Fatalf("create service %s: %v", svc.Name, err)
	}
	return got
}

func createPod(tb testing.TB, client kubernetes.Interface, pod *corev1.Pod) *corev1.Pod {
	tb.Helper()
	got, err := client.CoreV1().Pods(ns).Create(tb.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		tb.Fatalf("create pod %s: %v", pod.Name, err)
	}
	return got
}

// pod is labelled app=<app>, runs on node and serves "http" on 8080.
func pod(name, app, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{Name: "c", Image: "nginx",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}},
		},
	}
}

// setStatus writes the status a kubelet would for pod running with ips.
func setStatus(tb testing.TB, client kubernetes.Interface, pod *corev1.Pod, ready bool, ips ...string) *corev1.Pod {
	tb.Helper()
	pod = pod.DeepCopy()
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	now := metav1.Now()
	pod.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond, LastTransitionTime: now}},
		HostIP:     "192.168.0.2",
		HostIPs:    []corev1.HostIP{{IP: "192.168.0.2"}},
		StartTime:  &now,
		PodIP:      ips[0],
	}
	for _, ip := range ips {
		pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	got, err := client.CoreV1().Pods(ns).UpdateStatus(tb.Context(), pod, metav1.UpdateOptions{})
	if err != nil {
		tb.Fatalf("update status of pod %s: %v", pod.Name, err)
	}
	return got
}

// waitForSubsets waits until the Endpoints name has want as subsets
// (ignoring targetRefs' UIDs) and returns it.
func waitForSubsets(t *testing.T, client kubernetes.Interface, name string, want []corev1.EndpointSubset) *corev1.Endpoints {
	t.Helper()
	var ep *corev1.Endpoints
	clustertest.Poll(t, 20*time.Second, func() error {
		var err error
		ep, err = client.CoreV1().Endpoints(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got := ep.DeepCopy().Subsets
		for i := range got {
			for _, l := range [][]corev1.EndpointAddress{got[i].Addresses, got[i].NotReadyAddresses} {
				for j := range l {
					if l[j].TargetRef != nil {
						l[j].TargetRef.UID = ""
					}
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("subsets of %s (-want +got):\n%s", name, diff)
		}
		return nil
	})
	return ep
}

func address(ip, pod, node string) corev1.EndpointAddress {
	return corev1.EndpointAddress{IP: ip, NodeName: ptr.To(node),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod}}
}

func TestEndpointsListPrimaryFamily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		families   []corev1.IPFamily
		clusterIPs []string
		// readyIPs and notReadyIPs are the pods' IPs, primary first.
		readyIPs, notReadyIPs []string
		wantReady, wantNot    string
	}{{
		name: "IPv4 single-stack", families: []corev1.IPFamily{corev1.IPv4Protocol}, clusterIPs: []string{"10.96.20.1"},
		readyIPs: []string{"10.244.0.5", "fd00:10:244::5"}, notReadyIPs: []string{"10.244.0.6", "fd00:10:244::6"},
		wantReady: "10.244.0.5", wantNot: "10.244.0.6",
	}, {
		name: "IPv6 single-stack", families: []corev1.IPFamily{corev1.IPv6Protocol}, clusterIPs: []string{"fd00:10:96::b01"},
		readyIPs: []string{"10.244.0.5", "fd00:10:244::5"}, notReadyIPs: []string{"10.244.0.6", "fd00:10:244::6"},
		wantReady: "fd00:10:244::5", wantNot: "fd00:10:244::6",
	}, {
		name: "dual-stack IPv4 primary", families: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
		clusterIPs: []string{"10.96.20.3", "fd00:10:96::b03"},
		readyIPs:   []string{"10.244.0.5", "fd00:10:244::5"}, notReadyIPs: []string{"10.244.0.6", "fd00:10:244::6"},
		wantReady: "10.244.0.5", wantNot: "10.244.0.6",
	}, {
		name: "dual-stack IPv6 primary", families: []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol},
		clusterIPs: []string{"fd00:10:96::b04", "10.96.20.4"},
		readyIPs:   []string{"fd00:10:244::5", "10.244.0.5"}, notReadyIPs: []string{"fd00:10:244::6", "10.244.0.6"},
		wantReady: "fd00:10:244::5", wantNot: "fd00:10:244::6",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, _ := start(t)
			createNode(t, client, "node-a")
			svc := createService(t, client, controllertest.SelectorService("web", tt.families, tt.clusterIPs...))

			// Before any pod has an IP: an Endpoints with no subsets.
			waitForSubsets(t, client, "web", nil)

			ready := pod("web-0", "web", "node-a")
			// A pod whose hostname and subdomain name it within the
			// Service gets its hostname listed.
			ready.Spec.Hostname, ready.Spec.Subdomain = "zero", "web"
			setStatus(t, client, createPod(t, client, ready), true, tt.readyIPs...)
			setStatus(t, client, createPod(t, client, pod("web-1", "web", "node-a")), false, tt.notReadyIPs...)
			readyAddr := address(tt.wantReady, "web-0", "node-a")
			readyAddr.Hostname = "zero"
			ep := waitForSubsets(t, client, "web", []corev1.EndpointSubset{{
				Addresses:         []corev1.EndpointAddress{readyAddr},
				NotReadyAddresses: []corev1.EndpointAddress{address(tt.wantNot, "web-1", "node-a")},
				Ports:             []corev1.EndpointPort{{Name: "web", Port: 8080, Protocol: corev1.ProtocolTCP}},
			}})
			wantLabels := map[string]string{"team": "blue", endpoints.LabelManagedBy: endpoints.ControllerName}
			if diff := cmp.Diff(wantLabels, ep.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			trigger, err := time.Parse(time.RFC3339Nano, ep.Annotations[corev1.EndpointsLastChangeTriggerTime])
			if err != nil {
				t.Errorf("trigger time annotation: %v", err)
			} else if trigger.Before(svc.CreationTimestamp.Time) {
				t.Errorf("trigger time %v before the service was created (%v)", trigger, svc.CreationTimestamp)
			}
			if len(ep.OwnerReferences) != 0 {
				t.Errorf("endpoints have ownerReferences %v, want none", ep.OwnerReferences)
			}

			// The service goes: so do its endpoints.
			if err := client.CoreV1().Services(ns).Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete service: %v", err)
			}
			clustertest.Poll(t, 20*time.Second, func() error {
				_, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "web", metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return nil
				}
				return fmt.Errorf("endpoints still there (err %v)", err)
			})
		})
	}
}

func TestHeadlessServiceEndpoints(t *testing.T) {
	t.Parallel()
	client, _ := start(t)
	createNode(t, client, "node-a")
	svc := controllertest.SelectorService("db", []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}, corev1.ClusterIPNone)
	svc.Spec.Ports = nil
	svc.Spec.PublishNotReadyAddresses = true
	createService(t, client, svc)
	setStatus(t, client, createPod(t, client, pod("db-0", "db", "node-a")), false, "fd00:10:244::7", "10.244.0.7")
	// publishNotReadyAddresses lists the not-ready pod as ready.
	ep := waitForSubsets(t, client, "db", []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{address("fd00:10:244::7", "db-0", "node-a")},
	}})
	wantLabels := map[string]string{"team": "blue", corev1.IsHeadlessService: "", endpoints.LabelManagedBy: endpoints.ControllerName}
	if diff := cmp.Diff(wantLabels, ep.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func TestSelectorlessServiceEndpointsLeftAlone(t *testing.T) {
	t.Parallel()
	client, _ := start(t)
	manual := controllertest.SelectorService("manual", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.20.5")
	manual.Spec.Selector = nil
	createService(t, client, manual)
	hand := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "manual", Namespace: ns},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "192.0.2.10"}},
			Ports:     []corev1.EndpointPort{{Port: 9000, Protocol: corev1.ProtocolTCP}},
		}},
	}
	hand, err := client.CoreV1().Endpoints(ns).Create(t.Context(), hand, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create endpoints: %v", err)
	}
	// Once a Service created later has its Endpoints, the controller has
	// looked at the first one too.
	createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.20.6"))
	waitForSubsets(t, client, "web", nil)
	got, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "manual", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get endpoints: %v", err)
	}
	if got.ResourceVersion != hand.ResourceVersion {
		t.Errorf("selectorless service's endpoints were rewritten: %+v", got)
	}
}

func TestEndpointsTruncatedOverCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1001 pods")
	}
	t.Parallel()
	client, _ := start(t)
	createNode(t, client, "node-a")
	createService(t, client, controllertest.SelectorService("big", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.20.7"))
	const n = 1001
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < n; i += 10 {
				p, err := client.CoreV1().Pods(ns).Create(t.Context(), pod(fmt.Sprintf("big-%04d", i), "big", "node-a"), metav1.CreateOptions{})
				if err != nil {
					errs <- err
					return
				}
				p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.244.%d.%d", i/250, i%250+2),
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
				p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
				if _, err := client.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create pods: %v", err)
	}
	clustertest.Poll(t, 60*time.Second, func() error {
		ep, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "big", metav1.GetOptions{})
		if err != nil {
			return err
		}
		total := 0
		for _, ss := range ep.Subsets {
			total += len(ss.Addresses) + len(ss.NotReadyAddresses)
		}
		if total != 1000 || ep.Annotations[corev1.EndpointsOverCapacity] != "truncated" {
			return fmt.Errorf("%d addresses, over-capacity %q; want 1000, truncated", total, ep.Annotations[corev1.EndpointsOverCapacity])
		}
		return nil
	})
	// Back under capacity, the annotation goes.
	if err := client.CoreV1().Pods(ns).Delete(t.Context(), "big-0000", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	if err := client.CoreV1().Pods(ns).Delete(t.Context(), "big-0001", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	clustertest.Poll(t, 30*time.Second, func() error {
		ep, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "big", metav1.GetOptions{})
		if err != nil {
			return err
		}
		total := 0
		for _, ss := range ep.Subsets {
			total += len(ss.Addresses)
		}
		if _, annotated := ep.Annotations[corev1.EndpointsOverCapacity]; total != 999 || annotated {
			return fmt.Errorf("%d addresses, annotations %v; want 999 and no over-capacity", total, ep.Annotations)
		}
		return nil
	})
}

func TestOrphanEndpointsDeletedAtStart(t *testing.T) {
	t.Parallel()
	client, _ := startCluster(t)
	manual := controllertest.SelectorService("kept", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.20.9")
	manual.Spec.Selector = nil
	createService(t, client, manual)
	for _, name := range []string{"kept", "orphan"} {
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.10"}}}}}
		if _, err := client.CoreV1().Endpoints(ns).Create(t.Context(), ep, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create endpoints %s: %v", name, err)
		}
	}
	// As when the controller manager restarts: Endpoints whose Service
	// went while it was down are cleaned up.
	runController(t, client)
	clustertest.Poll(t, 20*time.Second, func() error {
		_, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "orphan", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("orphan endpoints still there (err %v)", err)
	})
	if _, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "kept", metav1.GetOptions{}); err != nil {
		t.Errorf("endpoints of a selectorless service: %v", err)
	}
}

// warningRecorder keeps the warnings the server sends.
type warningRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.seen
	w.seen = nil
	return seen
}

func TestEndpointsDeprecationWarning(t *testing.T) {
	t.Parallel()
	_, cfg := start(t)
	rec := &warningRecorder{}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rec
	client := kubernetes.NewForConfigOrDie(cfg)
	const want = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"

	// A selectorless Service of the same name keeps the controller from
	// deleting the Endpoints as an orphan.
	svc := controllertest.SelectorService("hand", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.20.8")
	svc.Spec.Selector = nil
	createService(t, client, svc)
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "hand", Namespace: ns}}
	calls := []struct {
		name string
		call func() error
	}{
		{"create", func() error {
			_, err := client.CoreV1().Endpoints(ns).Create(t.Context(), ep, metav1.CreateOptions{})
			return err
		}},
		{"get", func() error {
			_, err := client.CoreV1().Endpoints(ns).Get(t.Context(), "hand", metav1.GetOptions{})
			return err
		}},
		{"list", func() error {
			_, err := client.CoreV1().Endpoints(ns).List(t.Context(), metav1.ListOptions{})
			return err
		}},
		{"delete", func() error { return client.CoreV1().Endpoints(ns).Delete(t.Context(), "hand", metav1.DeleteOptions{}) }},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%s endpoints: %v", c.name, err)
		}
		if diff := cmp.Diff([]string{want}, rec.take()); diff != "" {
			t.Errorf("warnings on %s (-want +got):\n%s", c.name, diff)
		}
	}
	// EndpointSlices are not deprecated.
	if _, err := client.DiscoveryV1().EndpointSlices(ns).List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Fatalf("list endpointslices: %v", err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("warnings on endpointslices list: %q", strings.Join(got, "; "))
	}
}
