package alloc_test

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// restart stops c and starts a cluster on its data dir with ranges.
func restart(t *testing.T, c *cluster.Cluster, ranges ...netip.Prefix) (*cluster.Cluster, kubernetes.Interface) {
	t.Helper()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c = clustertest.StartControlPlane(t, cluster.Options{DataDir: c.DataDir(), ServiceClusterIPRanges: ranges})
	return c, clustertest.Client(t, c)
}

func eventReasons(t *testing.T, ctx context.Context, client kubernetes.Interface) sets.Set[string] {
	t.Helper()
	list, err := client.EventsV1().Events("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := sets.New[string]()
	for _, e := range list.Items {
		out.Insert(e.Reason)
	}
	return out
}

// TestRestart stops and starts a dual-stack cluster: allocations survive
// and are never handed out again, an IPAddress deleted by hand is recreated
// and an orphan IPAddress removed by the start-up repair.
func TestRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts clusters")
	}
	t.Parallel()
	tc := start(t, "", v4Range, v6Range)
	ctx := t.Context()
	services := tc.client.CoreV1().Services("default")
	var kept []*corev1.Service
	for i, mutate := range []func(*corev1.Service){
		func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicyRequireDualStack) },
		func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort },
		func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		},
	} {
		s, err := services.Create(ctx, newService("keep-"+string(rune('a'+i)), mutate), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, s)
	}
	// Deleted by hand: the repair recreates it. An orphan: the repair
	// deletes it.
	handDeleted := kept[0].Spec.ClusterIPs[1]
	if err := tc.client.NetworkingV1().IPAddresses().Delete(ctx, handDeleted, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The services' addresses are random: the orphan and the reserved
	// address are two free ones.
	free := freeIPv4s(kept, 2)
	orphan := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: free[0], Labels: map[string]string{
			networkingv1.LabelIPAddressFamily: "IPv4", networkingv1.LabelManagedBy: "ipallocator.k8s.io"}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "gone"}},
	}
	if _, err := tc.client.NetworkingV1().IPAddresses().Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Not the allocator's: left alone, and never handed out.
	reserved := orphan.DeepCopy()
	reserved.Name, reserved.Labels = free[1], map[string]string{networkingv1.LabelManagedBy: "someone-else"}
	if _, err := tc.client.NetworkingV1().IPAddresses().Create(ctx, reserved, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	c, client := restart(t, tc.c, v4Range, v6Range)
	tc = &testCluster{c: c, client: client, ranges: tc.ranges}
	services = client.CoreV1().Services("default")
	for _, want := range kept {
		got, err := services.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Spec.ClusterIPs, want.Spec.ClusterIPs) || got.Spec.HealthCheckNodePort != want.Spec.HealthCheckNodePort {
			t.Errorf("%s changed across the restart: %v → %v", want.Name, want.Spec.ClusterIPs, got.Spec.ClusterIPs)
		}
		tc.checkIPAddresses(t, ctx, got)
	}
	if _, err := client.NetworkingV1().IPAddresses().Get(ctx, orphan.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("orphan IPAddress after the restart: %v", err)
	}
	if _, err := client.NetworkingV1().IPAddresses().Get(ctx, reserved.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("someone else's IPAddress after the restart: %v", err)
	}
	if reasons := eventReasons(t, ctx, client); !reasons.HasAll("ClusterIPNotAllocated", "IPAddressNotAllocated") {
		t.Errorf("repair events %v", sets.List(reasons))
	}

	// Node ports survive: asking for one that is held fails.
	_, err := services.Create(ctx, newService("dup", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = kept[1].Spec.Ports[0].NodePort
	}), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "provided port is already allocated") {
		t.Errorf("held node port after the restart: %v", err)
	}
	// New allocations never collide with the old ones or the reserved IP.
	held := sets.New(reserved.Name, "10.0.0.1", "fd00:10:96::1")
	for _, s := range kept {
		held.Insert(s.Spec.ClusterIPs...)
	}
	svcs, errs := createAll(t, tc, "new", 100, func(s *corev1.Service) {
		s.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicyRequireDualStack)
	})
	if len(errs) > 0 {
		t.Fatalf("%d creates failed: %v", len(errs), errs[0])
	}
	for _, s := range svcs {
		for _, ip := range s.Spec.ClusterIPs {
			if held.Has(ip) {
				t.Errorf("%s got %s, which is held", s.Name, ip)
			}
			held.Insert(ip)
		}
	}

	// kubectl get ipaddresses shows the parent.
	table := &metav1.Table{}
	err = client.NetworkingV1().RESTClient().Get().Resource("ipaddresses").Name(kept[0].Spec.ClusterIPs[0]).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Into(table)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 1 || table.Rows[0].Cells[1] != "services/default/"+kept[0].Name {
		t.Errorf("ipaddress table rows %v", table.Rows)
	}
}

// TestRangeFlagChange restarts with other --service-cluster-ip-range
// values: as kube-apiserver, the existing "kubernetes" ServiceCIDR is kept
// (with a Warning event) and IPs still come from it, unless the change only
// adds the other family behind the same primary.
func TestRangeFlagChange(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts clusters")
	}
	t.Parallel()
	tc := start(t, "", v4Range)
	ctx := t.Context()

	c, client := restart(t, tc.c, netip.MustParsePrefix("10.1.0.0/24"))
	cidr, err := client.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cidr.Spec.CIDRs, []string{"10.0.0.0/24"}) {
		t.Errorf("servicecidr %v after a changed flag, want the old range kept", cidr.Spec.CIDRs)
	}
	events, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events.Items {
		if e.Reason == "KubernetesDefaultServiceCIDRInconsistent" &&
			e.Message == "The default ServiceCIDR [10.0.0.0/24] does not match the controller flag configurations [10.1.0.0/24]" {
			found = true
		}
	}
	if !found {
		t.Errorf("no KubernetesDefaultServiceCIDRInconsistent event in %d events", len(events.Items))
	}
	svc, err := client.CoreV1().Services("default").Create(ctx, newService("a"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !v4Range.Contains(netip.MustParseAddr(svc.Spec.ClusterIP)) {
		t.Errorf("cluster IP %s not from the kept ServiceCIDR", svc.Spec.ClusterIP)
	}

	// Adding IPv6 behind the same primary upgrades the ServiceCIDR.
	_, client = restart(t, c, v4Range, v6Range)
	cidr, err = client.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cidr.Spec.CIDRs, []string{"10.0.0.0/24", "fd00:10:96::/112"}) {
		t.Errorf("servicecidr %v after adding IPv6", cidr.Spec.CIDRs)
	}
	svc, err = client.CoreV1().Services("default").Create(ctx, newService("b", func(s *corev1.Service) {
		s.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicyRequireDualStack)
	}), metav1.CreateOptions{})
	if err != nil || len(svc.Spec.ClusterIPs) != 2 {
		t.Fatalf("dual-stack service after the upgrade: %v %v", svc, err)
	}
}

// freeIPv4s returns n addresses from the top of 10.0.0.0/24 that none of
// services holds.
func freeIPv4s(services []*corev1.Service, n int) []string {
	held := sets.New[string]()
	for _, s := range services {
		held.Insert(s.Spec.ClusterIPs...)
	}
	var out []string
	for last := 250; len(out) < n; last-- {
		if ip := "10.0.0." + strconv.Itoa(last); !held.Has(ip) {
			out = append(out, ip)
		}
	}
	return out
}
