package loadbalancer_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/loadbalancer"
)

// ownController names the controller(s) a test here runs itself: the
// cluster runs every other one, so that the two do not race.
var ownController = []string{"service-lb-controller"}

const ns = metav1.NamespaceDefault

var (
	v4Range = netip.MustParsePrefix("172.18.255.0/24")
	v6Range = netip.MustParsePrefix("fc00:f853:ccd:e793:ffff::/112")
)

// runController runs a LoadBalancer controller against c until the
// returned stop is called (or t ends).
func runController(t *testing.T, c *cluster.Cluster, ranges ...netip.Prefix) (stop func()) {
	t.Helper()
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := loadbalancer.New(client, factory, ranges)
	if err != nil {
		t.Fatalf("loadbalancer.New: %v", err)
	}
	return controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { ctrl.Run(ctx, 2) })
}

// svcSpec is what a test Service varies in.
type svcSpec struct {
	families []corev1.IPFamily
	lbIP     string
	class    string
}

func createService(t *testing.T, client kubernetes.Interface, name string, spec svcSpec) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type:           corev1.ServiceTypeLoadBalancer,
			Ports:          []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
			Selector:       map[string]string{"app": name},
			IPFamilies:     spec.families,
			LoadBalancerIP: spec.lbIP,
		},
	}
	switch len(spec.families) {
	case 1:
		svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
	case 2:
		svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	}
	if spec.class != "" {
		svc.Spec.LoadBalancerClass = ptr.To(spec.class)
	}
	got, err := client.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service %s: %v", name, err)
	}
	return got
}

func ingressIPs(svc *corev1.Service) ([]string, error) {
	var ips []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IPMode == nil || *ing.IPMode != corev1.LoadBalancerIPModeVIP || ing.Hostname != "" {
			return nil, fmt.Errorf("ingress %+v is not an IP with ipMode VIP", ing)
		}
		ips = append(ips, ing.IP)
	}
	return ips, nil
}

// waitIngress waits until Service name has exactly want as ingress IPs,
// each with ipMode VIP, and holds the cleanup finalizer.
func waitIngress(t *testing.T, client kubernetes.Interface, name string, want ...string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		svc, err := client.CoreV1().Services(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got, err := ingressIPs(svc)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("service %s: ingress %q, want %q", name, got, want)
		}
		if !slices.Contains(svc.Finalizers, loadbalancer.Finalizer) {
			return fmt.Errorf("service %s: finalizers %q, want %s", name, svc.Finalizers, loadbalancer.Finalizer)
		}
		return nil
	})
}

// waitEvent waits for an event of Service name with reason, and returns it.
func waitEvent(t *testing.T, client kubernetes.Interface, name, reason string) corev1.Event {
	t.Helper()
	var event corev1.Event
	clustertest.Poll(t, 10*time.Second, func() error {
		list, err := client.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{
			FieldSelector: "involvedObject.name=" + name + ",reason=" + reason,
		})
		if err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return fmt.Errorf("no %s event for service %s", reason, name)
		}
		event = list.Items[len(list.Items)-1]
		return nil
	})
	if event.Source.Component != "service-controller" || event.InvolvedObject.Kind != "Service" {
		t.Errorf("%s event source %q involvedObject kind %q, want service-controller and Service", reason, event.Source.Component, event.InvolvedObject.Kind)
	}
	return event
}

func getService(t *testing.T, client kubernetes.Interface, name string) *corev1.Service {
	t.Helper()
	svc, err := client.CoreV1().Services(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service %s: %v", name, err)
	}
	return svc
}

// pending fails t if Service name has an ingress.
func pending(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if svc := getService(t, client, name); len(svc.Status.LoadBalancer.Ingress) != 0 {
		t.Fatalf("service %s has ingress %+v, want none", name, svc.Status.LoadBalancer.Ingress)
	}
}

func deleteService(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if err := client.CoreV1().Services(ns).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service %s: %v", name, err)
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := client.CoreV1().Services(ns).Get(t.Context(), name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("service %s still there: %v", name, err)
		}
		return nil
	})
}

var (
	v4   = []corev1.IPFamily{corev1.IPv4Protocol}
	v6   = []corev1.IPFamily{corev1.IPv6Protocol}
	v4v6 = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	v6v4 = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
)

func TestIngressPerFamily(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ranges   []netip.Prefix
		families []corev1.IPFamily
		// first and second are the ingress of two Services of families,
		// created one after the other.
		first, second []string
	}{
		{name: "IPv4", ranges: []netip.Prefix{v4Range, v6Range}, families: v4,
			first: []string{"172.18.255.1"}, second: []string{"172.18.255.2"}},
		{name: "IPv6", ranges: []netip.Prefix{v4Range, v6Range}, families: v6,
			first: []string{"fc00:f853:ccd:e793:ffff::1"}, second: []string{"fc00:f853:ccd:e793:ffff::2"}},
		{name: "dual-stack IPv4 first", ranges: []netip.Prefix{v4Range, v6Range}, families: v4v6,
			first:  []string{"172.18.255.1", "fc00:f853:ccd:e793:ffff::1"},
			second: []string{"172.18.255.2", "fc00:f853:ccd:e793:ffff::2"}},
		{name: "dual-stack IPv6 first", ranges: []netip.Prefix{v4Range, v6Range}, families: v6v4,
			first:  []string{"fc00:f853:ccd:e793:ffff::1", "172.18.255.1"},
			second: []string{"fc00:f853:ccd:e793:ffff::2", "172.18.255.2"}},
		{name: "dual-stack ranges given IPv6 first", ranges: []netip.Prefix{v6Range, v4Range}, families: v4v6,
			first:  []string{"172.18.255.1", "fc00:f853:ccd:e793:ffff::1"},
			second: []string{"172.18.255.2", "fc00:f853:ccd:e793:ffff::2"}},
		{name: "dual-stack Service, IPv4 range only", ranges: []netip.Prefix{v4Range}, families: v6v4,
			first: []string{"172.18.255.1"}, second: []string{"172.18.255.2"}},
		{name: "dual-stack Service, IPv6 range only", ranges: []netip.Prefix{v6Range}, families: v4v6,
			first: []string{"fc00:f853:ccd:e793:ffff::1"}, second: []string{"fc00:f853:ccd:e793:ffff::2"}},
		{name: "no families, IPv4 range first", ranges: []netip.Prefix{v4Range, v6Range},
			first: []string{"172.18.255.1"}, second: []string{"172.18.255.2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := controllertest.StartWithout(t, ownController...)
			client := clustertest.Client(t, c)
			runController(t, c, tc.ranges...)
			createService(t, client, "first", svcSpec{families: tc.families})
			waitIngress(t, client, "first", tc.first...)
			createService(t, client, "second", svcSpec{families: tc.families})
			waitIngress(t, client, "second", tc.second...)
			waitEvent(t, client, "second", "EnsuredLoadBalancer")
		})
	}
}

// TestNoRangeForFamily: a Service none of whose families has a range stays
// pending, with SyncLoadBalancerFailed.
func TestNoRangeForFamily(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, v4Range)
	createService(t, client, "v6only", svcSpec{families: v6})
	ev := waitEvent(t, client, "v6only", "SyncLoadBalancerFailed")
	const want = "Error syncing load balancer: failed to ensure load balancer: there is no --load-balancer-ip-range for the Service's IP families [IPv6]"
	if ev.Type != corev1.EventTypeWarning || ev.Message != want {
		t.Errorf("event %s %q, want Warning %q", ev.Type, ev.Message, want)
	}
	pending(t, client, "v6only")
}

// TestExhaustion: with a range of two addresses the third Service waits,
// with SyncLoadBalancerFailed, holding nothing of its other family, and
// gets the first address freed.
func TestExhaustion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		ranges        []netip.Prefix
		families      []corev1.IPFamily
		first, second []string
		wantMessage   string
		third         []string // once first is deleted
	}{
		{
			name: "IPv4", ranges: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}, families: v4,
			first: []string{"192.0.2.1"}, second: []string{"192.0.2.2"},
			wantMessage: "Error syncing load balancer: failed to ensure load balancer: no IPv4 address left in --load-balancer-ip-range 192.0.2.0/30: range is full",
			third:       []string{"192.0.2.1"},
		},
		{
			name: "IPv6", ranges: []netip.Prefix{netip.MustParsePrefix("2001:db8::/127")}, families: v6,
			first: []string{"2001:db8::"}, second: []string{"2001:db8::1"},
			wantMessage: "Error syncing load balancer: failed to ensure load balancer: no IPv6 address left in --load-balancer-ip-range 2001:db8::/127: range is full",
			third:       []string{"2001:db8::"},
		},
		{
			name:   "dual-stack, IPv4 exhausted",
			ranges: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30"), netip.MustParsePrefix("2001:db8::/120")}, families: v6v4,
			first: []string{"2001:db8::1", "192.0.2.1"}, second: []string{"2001:db8::2", "192.0.2.2"},
			wantMessage: "Error syncing load balancer: failed to ensure load balancer: no IPv4 address left in --load-balancer-ip-range 192.0.2.0/30: range is full",
			third:       []string{"2001:db8::1", "192.0.2.1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := controllertest.StartWithout(t, ownController...)
			client := clustertest.Client(t, c)
			runController(t, c, tc.ranges...)
			createService(t, client, "first", svcSpec{families: tc.families})
			waitIngress(t, client, "first", tc.first...)
			createService(t, client, "second", svcSpec{families: tc.families})
			waitIngress(t, client, "second", tc.second...)
			createService(t, client, "third", svcSpec{families: tc.families})
			ev := waitEvent(t, client, "third", "SyncLoadBalancerFailed")
			if ev.Type != corev1.EventTypeWarning || ev.Message != tc.wantMessage {
				t.Errorf("event %s %q, want Warning %q", ev.Type, ev.Message, tc.wantMessage)
			}
			pending(t, client, "third")
			deleteService(t, client, "first")
			waitIngress(t, client, "third", tc.third...)
			waitIngress(t, client, "second", tc.second...)
		})
	}
}

// TestReleaseOnTypeChangeAndDelete: a Service that stops being of type
// LoadBalancer loses its ingress and finalizer, a deleted one goes once its
// addresses are released, and both addresses are handed out again.
func TestReleaseOnTypeChangeAndDelete(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, v4Range, v6Range)
	createService(t, client, "a", svcSpec{families: v4v6})
	waitIngress(t, client, "a", "172.18.255.1", "fc00:f853:ccd:e793:ffff::1")
	createService(t, client, "b", svcSpec{families: v4v6})
	waitIngress(t, client, "b", "172.18.255.2", "fc00:f853:ccd:e793:ffff::2")

	svc := getService(t, client, "a")
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.AllocateLoadBalancerNodePorts = nil
	svc.Spec.ExternalTrafficPolicy = ""
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].NodePort = 0
	}
	if _, err := client.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("change service a to ClusterIP: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		svc := getService(t, client, "a")
		if len(svc.Status.LoadBalancer.Ingress) != 0 || len(svc.Finalizers) != 0 {
			return fmt.Errorf("service a: ingress %+v finalizers %q, want neither", svc.Status.LoadBalancer.Ingress, svc.Finalizers)
		}
		return nil
	})
	if ev := waitEvent(t, client, "a", "Type"); ev.Message != "LoadBalancer -> ClusterIP" {
		t.Errorf("Type event %q, want %q", ev.Message, "LoadBalancer -> ClusterIP")
	}
	waitEvent(t, client, "a", "DeletingLoadBalancer")
	waitEvent(t, client, "a", "DeletedLoadBalancer")
	createService(t, client, "c", svcSpec{families: v6v4})
	waitIngress(t, client, "c", "fc00:f853:ccd:e793:ffff::1", "172.18.255.1")

	deleteService(t, client, "b")
	createService(t, client, "d", svcSpec{families: v4v6})
	waitIngress(t, client, "d", "172.18.255.2", "fc00:f853:ccd:e793:ffff::2")
}

// TestForcedDeleteReleases: a Service deleted past the finalizer (someone
// removed it) still gives its addresses back.
func TestForcedDeleteReleases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, v4Range)
	createService(t, client, "a", svcSpec{families: v4})
	waitIngress(t, client, "a", "172.18.255.1")
	if _, err := client.CoreV1().Services(ns).Patch(ctx, "a", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("remove finalizer: %v", err)
	}
	deleteService(t, client, "a")
	createService(t, client, "b", svcSpec{families: v4})
	waitIngress(t, client, "b", "172.18.255.1")
}

// TestOtherClassLeftAlone: a Service of any loadBalancerClass is another
// implementation's.
func TestOtherClassLeftAlone(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, v4Range)
	createService(t, client, "classy", svcSpec{families: v4, class: "example.com/lb"})
	createService(t, client, "plain", svcSpec{families: v4})
	waitIngress(t, client, "plain", "172.18.255.1")
	waitEvent(t, client, "plain", "EnsuredLoadBalancer")
	svc := getService(t, client, "classy")
	if len(svc.Status.LoadBalancer.Ingress) != 0 || len(svc.Finalizers) != 0 {
		t.Errorf("service of another class: ingress %+v finalizers %q, want neither", svc.Status.LoadBalancer.Ingress, svc.Finalizers)
	}
}

// TestLoadBalancerIP: spec.loadBalancerIP is used when it is in the range
// and free; otherwise the Service waits with SyncLoadBalancerFailed, and
// gets the address once it is freed.
func TestLoadBalancerIP(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, v4Range, v6Range)
	createService(t, client, "a", svcSpec{families: v4, lbIP: "172.18.255.50"})
	waitIngress(t, client, "a", "172.18.255.50")

	createService(t, client, "taken", svcSpec{families: v4, lbIP: "172.18.255.50"})
	ev := waitEvent(t, client, "taken", "SyncLoadBalancerFailed")
	if want := "Error syncing load balancer: failed to ensure load balancer: spec.loadBalancerIP 172.18.255.50: provided IP is already allocated"; ev.Type != corev1.EventTypeWarning || ev.Message != want {
		t.Errorf("event %s %q, want Warning %q", ev.Type, ev.Message, want)
	}
	pending(t, client, "taken")

	createService(t, client, "outside", svcSpec{families: v4, lbIP: "10.0.0.1"})
	ev = waitEvent(t, client, "outside", "SyncLoadBalancerFailed")
	if want := "Error syncing load balancer: failed to ensure load balancer: spec.loadBalancerIP 10.0.0.1 is not in --load-balancer-ip-range 172.18.255.0/24"; ev.Message != want {
		t.Errorf("event %q, want %q", ev.Message, want)
	}
	pending(t, client, "outside")

	// The other family is dynamic.
	createService(t, client, "dual", svcSpec{families: v4v6, lbIP: "fc00:f853:ccd:e793:ffff::80"})
	waitIngress(t, client, "dual", "172.18.255.1", "fc00:f853:ccd:e793:ffff::80")

	// A Service waiting for its address gets it as soon as it is free.
	deleteService(t, client, "a")
	waitIngress(t, client, "taken", "172.18.255.50")
	pending(t, client, "outside")
}

// TestControllerRestartRelearns: a controller started anew relearns the
// addresses in the Services' status before it hands out any, including to
// Services created while none ran.
func TestControllerRestartRelearns(t *testing.T) {
	t.Parallel()
	testRelearn(t, false)
}

// TestRestartRelearns is TestControllerRestartRelearns across a restart of
// the whole cluster on the same data dir.
func TestRestartRelearns(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster")
	}
	t.Parallel()
	testRelearn(t, true)
}

func testRelearn(t *testing.T, restartCluster bool) {
	dataDir := t.TempDir()
	c := clustertest.StartControlPlane(t, cluster.Options{DataDir: dataDir, Controllers: controllertest.Without(ownController...)})
	client := clustertest.Client(t, c)
	stop := runController(t, c, v4Range, v6Range)
	createService(t, client, "a", svcSpec{families: v4v6})
	waitIngress(t, client, "a", "172.18.255.1", "fc00:f853:ccd:e793:ffff::1")
	createService(t, client, "b", svcSpec{families: v6v4})
	waitIngress(t, client, "b", "fc00:f853:ccd:e793:ffff::2", "172.18.255.2")
	stop()
	if restartCluster {
		if err := c.Stop(); err != nil {
			t.Fatalf("stop cluster: %v", err)
		}
		c = clustertest.StartControlPlane(t, cluster.Options{DataDir: dataDir, Controllers: controllertest.Without(ownController...)})
		client = clustertest.Client(t, c)
	}
	createService(t, client, "c", svcSpec{families: v4v6}) // while no controller runs
	runController(t, c, v4Range, v6Range)
	waitIngress(t, client, "c", "172.18.255.3", "fc00:f853:ccd:e793:ffff::3")
	waitIngress(t, client, "a", "172.18.255.1", "fc00:f853:ccd:e793:ffff::1")
	waitIngress(t, client, "b", "fc00:f853:ccd:e793:ffff::2", "172.18.255.2")
	deleteService(t, client, "a")
	createService(t, client, "d", svcSpec{families: v4v6})
	waitIngress(t, client, "d", "172.18.255.1", "fc00:f853:ccd:e793:ffff::1")
}

func TestNewRejectsRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ranges  []netip.Prefix
		wantErr string
	}{
		{name: "none", wantErr: "load balancer IP ranges: need one or two IP ranges, got 0"},
		{name: "two IPv4", ranges: []netip.Prefix{v4Range, netip.MustParsePrefix("10.0.0.0/24")},
			wantErr: "load balancer IP ranges: IP ranges 172.18.255.0/24 and 10.0.0.0/24 must be of different IP families"},
		{name: "two IPv6", ranges: []netip.Prefix{v6Range, netip.MustParsePrefix("fd00::/120")},
			wantErr: "load balancer IP ranges: IP ranges fc00:f853:ccd:e793:ffff::/112 and fd00::/120 must be of different IP families"},
		{name: "IPv6 shorter than /64", ranges: []netip.Prefix{netip.MustParsePrefix("fd00::/48")},
			wantErr: "load balancer IP ranges: invalid IP range fd00::/48: an IPv6 range must be a /64 or longer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// New reads no API: an unreachable client is enough.
			client := kubernetes.NewForConfigOrDie(&rest.Config{Host: "https://127.0.0.1:1"})
			_, err := loadbalancer.New(client, informers.NewSharedInformerFactory(client, 0), tc.ranges)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("New error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
