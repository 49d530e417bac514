package endpointslice_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/endpointslice"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// ownController has the cluster run every controller but the one(s) a
// test here drives itself, so that the two do not race.
var ownController = []string{"*", "-endpointslice-controller"}

// start runs a cluster and, against it, an EndpointSlice controller that
// stops before the cluster does.
func start(tb testing.TB) kubernetes.Interface {
	tb.Helper()
	return startWith(tb, endpointslice.Options{}, 0)
}

// startWith is start with a controller tuned by opts whose EndpointSlice
// watch delivers every event sliceLag late (see lagWatches).
func startWith(tb testing.TB, opts endpointslice.Options, sliceLag time.Duration) kubernetes.Interface {
	tb.Helper()
	c := clustertest.StartControlPlane(tb, cluster.Options{Controllers: ownController})
	client := clustertest.Client(tb, c)
	ctrlClient := client
	if sliceLag > 0 {
		cfg := clustertest.Config(c)
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return lagWatches{next: rt, resource: "endpointslices", lag: sliceLag}
		})
		var err error
		if ctrlClient, err = kubernetes.NewForConfig(cfg); err != nil {
			tb.Fatalf("lagging client: %v", err)
		}
	}
	factory := informers.NewSharedInformerFactory(ctrlClient, 0)
	ctrl, err := endpointslice.New(ctrlClient, factory, opts)
	if err != nil {
		tb.Fatalf("endpointslice.New: %v", err)
	}
	ctx := context.Background()
	if _, bench := tb.(*testing.B); !bench {
		_, ctx = ktesting.NewTestContext(tb)
	}
	ctx, cancel := context.WithCancel(ctx)
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctrl.Run(ctx, 5)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
	return client
}

const ns = metav1.NamespaceDefault

func createNode(tb testing.TB, client kubernetes.Interface, name, zone string) {
	tb.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: zone}}}
	if _, err := client.CoreV1().Nodes().Create(tb.Context(), node, metav1.CreateOptions{}); err != nil {
		tb.Fatalf("create node: %v", err)
	}
}

func createService(tb testing.TB, client kubernetes.Interface, svc *corev1.Service) *corev1.Service {
	tb.Helper()
	got, err := client.CoreV1().Services(svc.Namespace).Create(tb.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		tb.Fatalf("create service %s: %v", svc.Name, err)
	}
	return got
}

// createPod creates a pod labelled app=<app> on node with a container port
// "http" 8080, without status.
func createPod(tb testing.TB, client kubernetes.Interface, name, app, node string) *corev1.Pod {
	tb.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{Name: "c", Image: "nginx",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}},
		},
	}
	got, err := client.CoreV1().Pods(ns).Create(tb.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		tb.Fatalf("create pod %s: %v", name, err)
	}
	return got
}

// setStatus writes the status a kubelet would for pod running with ips,
// Ready or not.
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
	}
	if len(ips) > 0 {
		pod.Status.PodIP = ips[0]
		for _, ip := range ips {
			pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: ip})
		}
	}
	got, err := client.CoreV1().Pods(ns).UpdateStatus(tb.Context(), pod, metav1.UpdateOptions{})
	if err != nil {
		tb.Fatalf("update status of pod %s: %v", pod.Name, err)
	}
	return got
}

// ownedSlices are the controller's slices of Service svc.
func ownedSlices(ctx context.Context, client kubernetes.Interface, svc string) ([]discoveryv1.EndpointSlice, error) {
	l, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + svc + "," + discoveryv1.LabelManagedBy + "=" + endpointslice.ControllerName,
	})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// endpointView is what the tests compare of one endpoint.
type endpointView struct {
	Pod, Addresses, Node, Zone  string
	Ready, Serving, Terminating bool
}

// sliceView summarizes slices by address type: the endpoints of each type
// sorted by pod, and how many slices there are of each type.
func sliceView(items []discoveryv1.EndpointSlice) (map[discoveryv1.AddressType][]endpointView, map[discoveryv1.AddressType]int) {
	views := map[discoveryv1.AddressType][]endpointView{}
	counts := map[discoveryv1.AddressType]int{}
	for _, s := range items {
		counts[s.AddressType]++
		if views[s.AddressType] == nil {
			views[s.AddressType] = []endpointView{}
		}
		for _, e := range s.Endpoints {
			v := endpointView{Addresses: strings.Join(e.Addresses, ","),
				Ready: ptr.Deref(e.Conditions.Ready, false), Serving: ptr.Deref(e.Conditions.Serving, false),
				Terminating: ptr.Deref(e.Conditions.Terminating, false),
				Node:        ptr.Deref(e.NodeName, ""), Zone: ptr.Deref(e.Zone, "")}
			if e.TargetRef != nil {
				v.Pod = e.TargetRef.Kind + "/" + e.TargetRef.Name
			}
			views[s.AddressType] = append(views[s.AddressType], v)
		}
	}
	for _, v := range views {
		sort.Slice(v, func(i, j int) bool { return v[i].Pod < v[j].Pod })
	}
	return views, counts
}

// waitForView waits until the slices of svc show want, with one slice per
// address type.
func waitForView(t *testing.T, client kubernetes.Interface, svc string, want map[discoveryv1.AddressType][]endpointView) []discoveryv1.EndpointSlice {
	t.Helper()
	var items []discoveryv1.EndpointSlice
	clustertest.Poll(t, 20*time.Second, func() error {
		var err error
		if items, err = ownedSlices(t.Context(), client, svc); err != nil {
			return err
		}
		got, counts := sliceView(items)
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("slices of %s (-want +got):\n%s", svc, diff)
		}
		for at, n := range counts {
			if n != 1 {
				return fmt.Errorf("%d %s slices for %s, want 1", n, at, svc)
			}
		}
		return nil
	})
	return items
}

func TestSlicesFollowPods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		families   []corev1.IPFamily
		clusterIPs []string
		// podIPs are each pod's IPs, primary first.
		podIPs [][]string
		// wantAddrs are each pod's addresses in the slice of each type.
		wantAddrs map[discoveryv1.AddressType][]string
	}{{
		name: "IPv4 single-stack", families: []corev1.IPFamily{corev1.IPv4Protocol}, clusterIPs: []string{"10.96.10.1"},
		podIPs:    [][]string{{"10.244.0.5", "fd00:10:244::5"}, {"10.244.0.6", "fd00:10:244::6"}},
		wantAddrs: map[discoveryv1.AddressType][]string{discoveryv1.AddressTypeIPv4: {"10.244.0.5", "10.244.0.6"}},
	}, {
		name: "IPv6 single-stack", families: []corev1.IPFamily{corev1.IPv6Protocol}, clusterIPs: []string{"fd00:10:96::a01"},
		podIPs:    [][]string{{"10.244.0.5", "fd00:10:244::5"}, {"10.244.0.6", "fd00:10:244::6"}},
		wantAddrs: map[discoveryv1.AddressType][]string{discoveryv1.AddressTypeIPv6: {"fd00:10:244::5", "fd00:10:244::6"}},
	}, {
		name: "dual-stack IPv4 primary", families: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
		clusterIPs: []string{"10.96.10.3", "fd00:10:96::a03"},
		podIPs:     [][]string{{"10.244.0.5", "fd00:10:244::5"}, {"10.244.0.6", "fd00:10:244::6"}},
		wantAddrs: map[discoveryv1.AddressType][]string{
			discoveryv1.AddressTypeIPv4: {"10.244.0.5", "10.244.0.6"},
			discoveryv1.AddressTypeIPv6: {"fd00:10:244::5", "fd00:10:244::6"},
		},
	}, {
		name: "dual-stack IPv6 primary", families: []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol},
		clusterIPs: []string{"fd00:10:96::a04", "10.96.10.4"},
		// The IPv6 address is written in a long form: slices carry
		// the canonical one.
		podIPs: [][]string{{"fd00:10:244:0::5", "10.244.0.5"}, {"fd00:10:244::6", "10.244.0.6"}},
		wantAddrs: map[discoveryv1.AddressType][]string{
			discoveryv1.AddressTypeIPv4: {"10.244.0.5", "10.244.0.6"},
			discoveryv1.AddressTypeIPv6: {"fd00:10:244::5", "fd00:10:244::6"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := start(t)
			createNode(t, client, "node-a", "zone-a")
			svc := createService(t, client, controllertest.SelectorService("web", tt.families, tt.clusterIPs...))
			pods := []*corev1.Pod{createPod(t, client, "web-0", "web", "node-a"), createPod(t, client, "web-1", "web", "node-a")}

			// Pods without IPs are not endpoints yet: one empty
			// placeholder slice per family.
			placeholders := map[discoveryv1.AddressType][]endpointView{}
			for at := range tt.wantAddrs {
				placeholders[at] = []endpointView{}
			}
			for _, s := range waitForView(t, client, "web", placeholders) {
				if len(s.Ports) != 0 {
					t.Errorf("placeholder slice %s has ports %v", s.Name, s.Ports)
				}
			}

			// web-0 Ready, web-1 running but not Ready.
			pods[0] = setStatus(t, client, pods[0], true, tt.podIPs[0]...)
			pods[1] = setStatus(t, client, pods[1], false, tt.podIPs[1]...)
			want := map[discoveryv1.AddressType][]endpointView{}
			for at, addrs := range tt.wantAddrs {
				want[at] = []endpointView{
					{Pod: "Pod/web-0", Addresses: addrs[0], Node: "node-a", Zone: "zone-a", Ready: true, Serving: true},
					{Pod: "Pod/web-1", Addresses: addrs[1], Node: "node-a", Zone: "zone-a"},
				}
			}
			items := waitForView(t, client, "web", want)
			for _, s := range items {
				checkSliceMeta(t, &s, svc)
				wantPorts := []discoveryv1.EndpointPort{{Name: ptr.To("web"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}}
				if diff := cmp.Diff(wantPorts, s.Ports); diff != "" {
					t.Errorf("ports of %s (-want +got):\n%s", s.Name, diff)
				}
				for _, e := range s.Endpoints {
					if e.TargetRef.Namespace != ns || (e.TargetRef.UID != pods[0].UID && e.TargetRef.UID != pods[1].UID) {
						t.Errorf("endpoint targetRef %+v does not name a pod of the service", e.TargetRef)
					}
				}
			}

			// web-0 goes away: web-1 is left.
			if err := client.CoreV1().Pods(ns).Delete(t.Context(), "web-0", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
				t.Fatalf("delete pod: %v", err)
			}
			for at := range want {
				want[at] = want[at][1:]
			}
			waitForView(t, client, "web", want)
		})
	}
}

// checkSliceMeta checks what every slice of svc carries: its name, labels
// and controller reference, and a trigger time.
func checkSliceMeta(t *testing.T, s *discoveryv1.EndpointSlice, svc *corev1.Service) {
	t.Helper()
	if s.GenerateName != svc.Name+"-" || !strings.HasPrefix(s.Name, svc.Name+"-") {
		t.Errorf("slice %s: generateName %q", s.Name, s.GenerateName)
	}
	wantLabels := map[string]string{
		"team":                       "blue",
		discoveryv1.LabelServiceName: svc.Name,
		discoveryv1.LabelManagedBy:   endpointslice.ControllerName,
	}
	if diff := cmp.Diff(wantLabels, s.Labels); diff != "" {
		t.Errorf("labels of %s (-want +got):\n%s", s.Name, diff)
	}
	wantOwner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	if diff := cmp.Diff(wantOwner, s.OwnerReferences); diff != "" {
		t.Errorf("ownerReferences of %s (-want +got):\n%s", s.Name, diff)
	}
	trigger, ok := s.Annotations[corev1.EndpointsLastChangeTriggerTime]
	if !ok {
		t.Errorf("slice %s has no %s annotation", s.Name, corev1.EndpointsLastChangeTriggerTime)
	} else if _, err := time.Parse(time.RFC3339Nano, trigger); err != nil {
		t.Errorf("slice %s: trigger time %q: %v", s.Name, trigger, err)
	}
}

func TestHeadlessServicePlaceholders(t *testing.T) {
	t.Parallel()
	client := start(t)
	svc := controllertest.SelectorService("db", []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, corev1.ClusterIPNone)
	svc.Spec.Ports = nil
	createService(t, client, svc)
	items := waitForView(t, client, "db", map[discoveryv1.AddressType][]endpointView{
		discoveryv1.AddressTypeIPv4: {}, discoveryv1.AddressTypeIPv6: {},
	})
	for _, s := range items {
		if v, ok := s.Labels[corev1.IsHeadlessService]; !ok || v != "" {
			t.Errorf("slice %s labels %v: want %s=\"\"", s.Name, s.Labels, corev1.IsHeadlessService)
		}
	}
}

func TestFamilyRemovedDeletesItsSlice(t *testing.T) {
	t.Parallel()
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	svc := controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, "10.96.10.5", "fd00:10:96::a05")
	svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
	svc = createService(t, client, svc)
	setStatus(t, client, createPod(t, client, "web-0", "web", "node-a"), true, "10.244.0.5", "fd00:10:244::5")
	ready := []endpointView{{Pod: "Pod/web-0", Node: "node-a", Zone: "zone-a", Ready: true, Serving: true}}
	v4, v6 := slices.Clone(ready), slices.Clone(ready)
	v4[0].Addresses, v6[0].Addresses = "10.244.0.5", "fd00:10:244::5"
	waitForView(t, client, "web", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: v4, discoveryv1.AddressTypeIPv6: v6})

	// Downgrade to single-stack: the IPv6 slice goes.
	svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
	svc.Spec.IPFamilies = svc.Spec.IPFamilies[:1]
	svc.Spec.ClusterIPs = svc.Spec.ClusterIPs[:1]
	if _, err := client.CoreV1().Services(ns).Update(t.Context(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("downgrade service: %v", err)
	}
	waitForView(t, client, "web", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: v4})
}

func TestPodLabelChangeMovesEndpoint(t *testing.T) {
	t.Parallel()
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	createService(t, client, controllertest.SelectorService("blue", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.6"))
	createService(t, client, controllertest.SelectorService("green", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.7"))
	pod := setStatus(t, client, createPod(t, client, "p", "blue", "node-a"), true, "10.244.0.9")
	ep := []endpointView{{Pod: "Pod/p", Addresses: "10.244.0.9", Node: "node-a", Zone: "zone-a", Ready: true, Serving: true}}
	waitForView(t, client, "blue", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: ep})
	waitForView(t, client, "green", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: {}})

	pod.Labels["app"] = "green"
	if _, err := client.CoreV1().Pods(ns).Update(t.Context(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("relabel pod: %v", err)
	}
	waitForView(t, client, "green", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: ep})
	waitForView(t, client, "blue", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: {}})
}

func TestSelectorlessServiceHasNoManagedSlices(t *testing.T) {
	t.Parallel()
	client := start(t)
	manual := controllertest.SelectorService("manual", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.8")
	manual.Spec.Selector = nil
	createService(t, client, manual)
	// A Service created after it has its placeholder: the controller
	// has looked at both by then.
	createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.9"))
	waitForView(t, client, "web", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: {}})
	l, err := client.DiscoveryV1().EndpointSlices(ns).List(t.Context(), metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=manual"})
	if err != nil {
		t.Fatalf("list slices: %v", err)
	}
	if len(l.Items) != 0 {
		t.Errorf("selectorless service has %d slices, want none: %+v", len(l.Items), l.Items)
	}
}

func TestDeletedSliceIsRecreated(t *testing.T) {
	t.Parallel()
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.10"))
	setStatus(t, client, createPod(t, client, "web-0", "web", "node-a"), true, "10.244.0.5")
	want := map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: {
		{Pod: "Pod/web-0", Addresses: "10.244.0.5", Node: "node-a", Zone: "zone-a", Ready: true, Serving: true}}}
	old := waitForView(t, client, "web", want)
	if err := client.DiscoveryV1().EndpointSlices(ns).Delete(t.Context(), old[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete slice: %v", err)
	}
	clustertest.Poll(t, 20*time.Second, func() error {
		items, err := ownedSlices(t.Context(), client, "web")
		if err != nil {
			return err
		}
		if len(items) != 1 || items[0].UID == old[0].UID {
			return fmt.Errorf("%d slices, want one new one", len(items))
		}
		return nil
	})
	waitForView(t, client, "web", want)
}

func TestManyPodsSpreadOverSlices(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 250 pods")
	}
	t.Parallel()
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.11"))
	const n = 250
	for i := range n {
		pod := createPod(t, client, fmt.Sprintf("web-%03d", i), "web", "node-a")
		setStatus(t, client, pod, true, fmt.Sprintf("10.244.%d.%d", i/200, i%200+2))
	}
	clustertest.Poll(t, 60*time.Second, func() error {
		items, err := ownedSlices(t.Context(), client, "web")
		if err != nil {
			return err
		}
		var sizes []int
		seen := map[string]bool{}
		for _, s := range items {
			sizes = append(sizes, len(s.Endpoints))
			for _, e := range s.Endpoints {
				seen[e.Addresses[0]] = true
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
		if !slices.Equal(sizes, []int{100, 100, 50}) || len(seen) != n {
			return fmt.Errorf("slice sizes %v with %d distinct addresses, want [100 100 50] with %d", sizes, len(seen), n)
		}
		return nil
	})
}

// An orphaning delete keeps a Service's slices even when the controller
// syncs the Service after the garbage collector took its references off
// and before the Service is gone: here a finalizer holds the Service
// terminating, and pod changes make the controller sync it.
func TestOrphanedSlicesOfTerminatingServiceStay(t *testing.T) {
	t.Parallel()
	client := start(t)
	createNode(t, client, "node-a", "zone-a")
	svc := controllertest.SelectorService("web", []corev1.IPFamily{corev1.IPv4Protocol}, "10.96.10.11")
	const hold = "example.com/hold"
	svc.Finalizers = []string{hold}
	createService(t, client, svc)
	pod := setStatus(t, client, createPod(t, client, "web-0", "web", "node-a"), true, "10.244.0.5")
	orphan := waitForView(t, client, "web", map[discoveryv1.AddressType][]endpointView{discoveryv1.AddressTypeIPv4: {
		{Pod: "Pod/web-0", Addresses: "10.244.0.5", Node: "node-a", Zone: "zone-a", Ready: true, Serving: true}}})[0]

	if err := client.CoreV1().Services(ns).Delete(t.Context(), "web", metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatalf("delete service: %v", err)
	}
	clustertest.Poll(t, 20*time.Second, func() error {
		s, err := client.DiscoveryV1().EndpointSlices(ns).Get(t.Context(), orphan.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(s.OwnerReferences) != 0 {
			return fmt.Errorf("slice still has owners %v", s.OwnerReferences)
		}
		return nil
	})
	for i, ready := range []bool{false, true, false} {
		setStatus(t, client, pod, ready, "10.244.0.5")
		pod, _ = client.CoreV1().Pods(ns).Get(t.Context(), pod.Name, metav1.GetOptions{})
		time.Sleep(time.Second)
		if _, err := client.DiscoveryV1().EndpointSlices(ns).Get(t.Context(), orphan.Name, metav1.GetOptions{}); err != nil {
			t.Fatalf("orphaned slice after pod change %d: %v", i, err)
		}
	}

	svc, err := client.CoreV1().Services(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get terminating service: %v", err)
	}
	svc.Finalizers = nil
	if _, err := client.CoreV1().Services(ns).Update(t.Context(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("release service: %v", err)
	}
	time.Sleep(time.Second)
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Get(t.Context(), orphan.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("orphaned slice after the service went: %v", err)
	}
}
