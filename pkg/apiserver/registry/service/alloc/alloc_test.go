package alloc_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// These tests drive a real cluster on loopback through client-go: what they
// check is what kube-apiserver's service storage answers (upstream's
// pkg/registry/core/service/storage/storage_test.go is the oracle).

const (
	v4 = corev1.IPv4Protocol
	v6 = corev1.IPv6Protocol
)

var (
	v4Range = netip.MustParsePrefix("10.0.0.0/24")
	v6Range = netip.MustParsePrefix("fd00:10:96::/112")
)

// testCluster is a running cluster with its service ranges.
type testCluster struct {
	c      *cluster.Cluster
	client kubernetes.Interface
	ranges []netip.Prefix
}

func start(t testing.TB, ports string, ranges ...netip.Prefix) *testCluster {
	t.Helper()
	opts := cluster.Options{DataDir: t.TempDir(), ServiceClusterIPRanges: ranges}
	if ports != "" {
		pr, err := allocator.ParsePortRange(ports)
		if err != nil {
			t.Fatal(err)
		}
		opts.ServiceNodePortRange = pr
	}
	c := clustertest.StartControlPlane(t, opts)
	return &testCluster{c: c, client: clustertest.Client(t, c), ranges: ranges}
}

func newService(name string, mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

// checkIPAddresses fails t unless every cluster IP of svc is in a service
// range of its family and has an IPAddress naming svc, with upstream's
// labels.
func (tc *testCluster) checkIPAddresses(t testing.TB, ctx context.Context, svc *corev1.Service) {
	t.Helper()
	if svc.Spec.Type == corev1.ServiceTypeExternalName || (len(svc.Spec.ClusterIPs) == 1 && svc.Spec.ClusterIPs[0] == "None") {
		return
	}
	for i, ip := range svc.Spec.ClusterIPs {
		a := netip.MustParseAddr(ip)
		inRange := false
		for _, r := range tc.ranges {
			inRange = inRange || r.Contains(a)
		}
		if !inRange {
			t.Errorf("%s: cluster IP %s in none of %v", svc.Name, ip, tc.ranges)
		}
		family := v4
		if a.Is6() {
			family = v6
		}
		if svc.Spec.IPFamilies[i] != family {
			t.Errorf("%s: clusterIPs[%d] %s is not of ipFamilies[%d] %s", svc.Name, i, ip, i, svc.Spec.IPFamilies[i])
		}
		ipa, err := tc.client.NetworkingV1().IPAddresses().Get(ctx, a.String(), metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: IPAddress %s: %v", svc.Name, ip, err)
			continue
		}
		want := networkingv1.ParentReference{Resource: "services", Namespace: svc.Namespace, Name: svc.Name}
		if ipa.Spec.ParentRef == nil || *ipa.Spec.ParentRef != want {
			t.Errorf("IPAddress %s parentRef %+v, want %+v", ip, ipa.Spec.ParentRef, want)
		}
		if ipa.Labels[networkingv1.LabelIPAddressFamily] != string(family) || ipa.Labels[networkingv1.LabelManagedBy] != "ipallocator.k8s.io" {
			t.Errorf("IPAddress %s labels %v", ip, ipa.Labels)
		}
	}
}

// countIPAddresses returns how many IPAddress objects exist.
func (tc *testCluster) countIPAddresses(t testing.TB, ctx context.Context) int {
	t.Helper()
	list, err := tc.client.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// summary is "<policy> <families> <number of cluster IPs>", or
// "None <policy> <families>" for a headless Service.
func summary(svc *corev1.Service) string {
	policy := "<nil>"
	if svc.Spec.IPFamilyPolicy != nil {
		policy = string(*svc.Spec.IPFamilyPolicy)
	}
	if len(svc.Spec.ClusterIPs) == 1 && svc.Spec.ClusterIPs[0] == "None" {
		return fmt.Sprintf("None %s %v", policy, svc.Spec.IPFamilies)
	}
	return fmt.Sprintf("%s %v %d", policy, svc.Spec.IPFamilies, len(svc.Spec.ClusterIPs))
}

// TestServiceCreate creates Services of every type with and without cluster
// IPs, families and policies on single-stack IPv4 and IPv6 and dual-stack
// clusters of either primary family. Each row gives, per cluster, the
// outcome (see summary) or "err: " and a substring of the error.
func TestServiceCreate(t *testing.T) {
	t.Parallel()
	type want struct{ v4, v6, v4v6, v6v4 string }
	policy := func(p corev1.IPFamilyPolicy) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr.To(p) }
	}
	families := func(f ...corev1.IPFamily) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.IPFamilies = f }
	}
	clusterIPs := func(ips ...string) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = ips[0], ips }
	}
	typ := func(ty corev1.ServiceType) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Spec.Type = ty }
	}
	noSelector := func(s *corev1.Service) { s.Spec.Selector = nil }
	const (
		notDual  = "err: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"
		no6      = "err: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"
		no4      = "err: spec.ipFamilies[0]: Invalid value: \"IPv4\": not configured on this cluster"
		mismatch = "err: the provided network does not match the current range"
	)
	tests := []struct {
		name   string
		mutate []func(*corev1.Service)
		want   want
	}{
		{"ClusterIP", nil, want{"SingleStack [IPv4] 1", "SingleStack [IPv6] 1", "SingleStack [IPv4] 1", "SingleStack [IPv6] 1"}},
		{"PreferDualStack", []func(*corev1.Service){policy(corev1.IPFamilyPolicyPreferDualStack)},
			want{"PreferDualStack [IPv4] 1", "PreferDualStack [IPv6] 1", "PreferDualStack [IPv4 IPv6] 2", "PreferDualStack [IPv6 IPv4] 2"}},
		{"RequireDualStack", []func(*corev1.Service){policy(corev1.IPFamilyPolicyRequireDualStack)},
			want{notDual, notDual, "RequireDualStack [IPv4 IPv6] 2", "RequireDualStack [IPv6 IPv4] 2"}},
		{"RequireDualStack IPv6 first", []func(*corev1.Service){policy(corev1.IPFamilyPolicyRequireDualStack), families(v6, v4)},
			want{notDual, notDual, "RequireDualStack [IPv6 IPv4] 2", "RequireDualStack [IPv6 IPv4] 2"}},
		{"families IPv6", []func(*corev1.Service){families(v6)}, want{no6, "SingleStack [IPv6] 1", "SingleStack [IPv6] 1", "SingleStack [IPv6] 1"}},
		{"families IPv4", []func(*corev1.Service){families(v4)}, want{"SingleStack [IPv4] 1", no4, "SingleStack [IPv4] 1", "SingleStack [IPv4] 1"}},
		{"SingleStack two families", []func(*corev1.Service){policy(corev1.IPFamilyPolicySingleStack), families(v4, v6)},
			want{"err: must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified", "err: when multiple IP families",
				"err: when multiple IP families", "err: when multiple IP families"}},
		// Static picks come from the lower band (the first 16 addresses of
		// the /24, the first 256 of the /112), which dynamic allocation
		// leaves alone while the upper band has room: a pick above it
		// could already be taken at random by an earlier row.
		{"static IPv4", []func(*corev1.Service){clusterIPs("10.0.0.12")},
			want{"SingleStack [IPv4] 1", "err: spec.clusterIPs[0]: Invalid value: [\"10.0.0.12\"]: IPv4 is not configured on this cluster",
				"SingleStack [IPv4] 1", "SingleStack [IPv4] 1"}},
		{"static IPv4 outside the range", []func(*corev1.Service){clusterIPs("192.168.1.1")},
			want{"err: spec.clusterIPs: Invalid value: [\"192.168.1.1\"]: failed to allocate IP 192.168.1.1: the provided network does not match the current range",
				"err: IPv4 is not configured on this cluster", mismatch, mismatch}},
		{"static network address", []func(*corev1.Service){clusterIPs("10.0.0.0")},
			want{"err: failed to allocate IP 10.0.0.0: the provided IP (10.0.0.0) is not in the valid range. The range of valid IPs is 10.0.0.0/24",
				"err: IPv4 is not configured on this cluster", "err: is not in the valid range", "err: is not in the valid range"}},
		{"static dual-stack", []func(*corev1.Service){clusterIPs("fd00:10:96::20", "10.0.0.10"), policy(corev1.IPFamilyPolicyRequireDualStack)},
			want{"err: IPv6 is not configured on this cluster", "err: IPv4 is not configured on this cluster",
				"RequireDualStack [IPv6 IPv4] 2", "RequireDualStack [IPv6 IPv4] 2"}},
		{"static kubernetes IP", []func(*corev1.Service){clusterIPs("10.0.0.1")},
			want{"err: spec.clusterIPs: Invalid value: [\"10.0.0.1\"]: failed to allocate IP 10.0.0.1: provided IP is already allocated",
				"err: IPv4 is not configured", "err: provided IP is already allocated", "SingleStack [IPv4] 1"}},
		{"NodePort", []func(*corev1.Service){typ(corev1.ServiceTypeNodePort)},
			want{"SingleStack [IPv4] 1", "SingleStack [IPv6] 1", "SingleStack [IPv4] 1", "SingleStack [IPv6] 1"}},
		{"LoadBalancer PreferDualStack", []func(*corev1.Service){typ(corev1.ServiceTypeLoadBalancer), policy(corev1.IPFamilyPolicyPreferDualStack)},
			want{"PreferDualStack [IPv4] 1", "PreferDualStack [IPv6] 1", "PreferDualStack [IPv4 IPv6] 2", "PreferDualStack [IPv6 IPv4] 2"}},
		{"ExternalName", []func(*corev1.Service){typ(corev1.ServiceTypeExternalName), func(s *corev1.Service) { s.Spec.ExternalName = "db.example.com" }},
			want{"<nil> [] 0", "<nil> [] 0", "<nil> [] 0", "<nil> [] 0"}},
		{"ExternalName with a policy", []func(*corev1.Service){typ(corev1.ServiceTypeExternalName), policy(corev1.IPFamilyPolicySingleStack),
			func(s *corev1.Service) { s.Spec.ExternalName = "db.example.com" }},
			want{"err: spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services", "err: may not be set for ExternalName services",
				"err: may not be set for ExternalName services", "err: may not be set for ExternalName services"}},
		{"headless", []func(*corev1.Service){clusterIPs("None")},
			want{"None SingleStack [IPv4]", "None SingleStack [IPv6]", "None SingleStack [IPv4]", "None SingleStack [IPv6]"}},
		{"headless PreferDualStack", []func(*corev1.Service){clusterIPs("None"), policy(corev1.IPFamilyPolicyPreferDualStack)},
			want{"None PreferDualStack [IPv4]", "None PreferDualStack [IPv6]", "None PreferDualStack [IPv4 IPv6]", "None PreferDualStack [IPv6 IPv4]"}},
		{"headless selectorless", []func(*corev1.Service){clusterIPs("None"), noSelector},
			want{"None RequireDualStack [IPv4 IPv6]", "None RequireDualStack [IPv6 IPv4]", "None RequireDualStack [IPv4 IPv6]", "None RequireDualStack [IPv6 IPv4]"}},
		{"headless selectorless SingleStack", []func(*corev1.Service){clusterIPs("None"), noSelector, policy(corev1.IPFamilyPolicySingleStack)},
			want{"None SingleStack [IPv4]", "None SingleStack [IPv6]", "None SingleStack [IPv4]", "None SingleStack [IPv6]"}},
		{"headless NodePort", []func(*corev1.Service){clusterIPs("None"), typ(corev1.ServiceTypeNodePort)},
			want{"err: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services", "err: for NodePort services",
				"err: for NodePort services", "err: for NodePort services"}},
	}
	configs := []struct {
		name   string
		ranges []netip.Prefix
		pick   func(want) string
	}{
		{"v4", []netip.Prefix{v4Range}, func(w want) string { return w.v4 }},
		{"v6", []netip.Prefix{v6Range}, func(w want) string { return w.v6 }},
		{"v4v6", []netip.Prefix{v4Range, v6Range}, func(w want) string { return w.v4v6 }},
		// fd00:10:96::1 is default/kubernetes here, so 10.0.0.1 is free.
		{"v6v4", []netip.Prefix{v6Range, v4Range}, func(w want) string { return w.v6v4 }},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel()
			tc := start(t, "", cfg.ranges...)
			ctx := t.Context()
			services := tc.client.CoreV1().Services("default")
			before := tc.countIPAddresses(t, ctx)
			for i, row := range tests {
				name := fmt.Sprintf("svc-%d", i)
				created, err := services.Create(ctx, newService(name, row.mutate...), metav1.CreateOptions{})
				want := cfg.pick(row.want)
				if wantErr, isErr := strings.CutPrefix(want, "err: "); isErr {
					if err == nil || !strings.Contains(err.Error(), wantErr) {
						t.Errorf("%s: error %v, want one containing %q", row.name, err, wantErr)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", row.name, err)
					continue
				}
				if got := summary(created); got != want {
					t.Errorf("%s: got %s, want %s", row.name, got, want)
				}
				if created.Spec.ClusterIP != firstOrEmpty(created.Spec.ClusterIPs) {
					t.Errorf("%s: clusterIP %q, clusterIPs %v", row.name, created.Spec.ClusterIP, created.Spec.ClusterIPs)
				}
				tc.checkIPAddresses(t, ctx, created)
				if created.Spec.Type == corev1.ServiceTypeNodePort || created.Spec.Type == corev1.ServiceTypeLoadBalancer {
					if np := created.Spec.Ports[0].NodePort; np < 30000 || np > 32767 {
						t.Errorf("%s: nodePort %d", row.name, np)
					}
				}
				got, err := services.Get(ctx, name, metav1.GetOptions{})
				if err != nil || summary(got) != want {
					t.Errorf("%s: read back %v %v", row.name, summary(got), err)
				}
			}
			// Every Service gives its IPs back, and failed creates kept none.
			list, err := services.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list.Items {
				if s.Name == "kubernetes" {
					continue
				}
				if err := services.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			// A LoadBalancer Service goes only once the LoadBalancer
			// controller has removed its cleanup finalizer.
			deadline := time.Now().Add(10 * time.Second)
			for got := tc.countIPAddresses(t, ctx); got != before; got = tc.countIPAddresses(t, ctx) {
				if time.Now().After(deadline) {
					left, _ := tc.client.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
					svcs, _ := services.List(ctx, metav1.ListOptions{})
					t.Fatalf("%d IPAddresses 10s after deleting every Service, want %d (default/kubernetes'):\n%v\nservices: %v", got, before, left.Items, svcs.Items)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func firstOrEmpty(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestServiceUpdate upgrades, downgrades and changes the type of Services
// through PUT, merge and JSON patches and server-side apply.
func TestServiceUpdate(t *testing.T) {
	t.Parallel()
	tc := start(t, "", v4Range, v6Range)
	ctx := t.Context()
	services := tc.client.CoreV1().Services("default")
	base := tc.countIPAddresses(t, ctx)
	mergePatch := func(name, patch string) (*corev1.Service, error) {
		return services.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	}
	expectIPs := func(step string, n int) {
		t.Helper()
		if got := tc.countIPAddresses(t, ctx); got != base+n {
			t.Errorf("%s: %d IPAddresses, want %d", step, got, base+n)
		}
	}

	svc, err := services.Create(ctx, newService("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	primary := svc.Spec.ClusterIP

	// PUT with a new policy and nothing else: an upgrade.
	svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
	if svc, err = services.Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if summary(svc) != "PreferDualStack [IPv4 IPv6] 2" || svc.Spec.ClusterIPs[0] != primary {
		t.Fatalf("upgrade: %s %v", summary(svc), svc.Spec.ClusterIPs)
	}
	tc.checkIPAddresses(t, ctx, svc)
	expectIPs("upgrade", 2)
	secondary := svc.Spec.ClusterIPs[1]

	// A PUT that leaves out the allocated IPs keeps them.
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
	svc.Spec.Ports[0].Port = 8080
	if svc, err = services.Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP != primary || len(svc.Spec.ClusterIPs) != 2 || svc.Spec.ClusterIPs[1] != secondary {
		t.Fatalf("update without IPs: %v", svc.Spec.ClusterIPs)
	}

	// Releasing the secondary without SingleStack fails.
	_, err = services.Patch(ctx, "web", types.JSONPatchType, []byte(`[{"op":"remove","path":"/spec/clusterIPs/1"}]`), metav1.PatchOptions{})
	if err == nil || !strings.Contains(err.Error(), `spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP`) {
		t.Fatalf("release without SingleStack: %v", err)
	}

	// A merge patch to SingleStack is a downgrade; the secondary goes.
	if svc, err = mergePatch("web", `{"spec":{"ipFamilyPolicy":"SingleStack"}}`); err != nil {
		t.Fatal(err)
	}
	if summary(svc) != "SingleStack [IPv4] 1" || svc.Spec.ClusterIP != primary {
		t.Fatalf("downgrade: %s %v", summary(svc), svc.Spec.ClusterIPs)
	}
	expectIPs("downgrade", 1)
	if _, err := tc.client.NetworkingV1().IPAddresses().Get(ctx, secondary, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("secondary IPAddress after the downgrade: %v", err)
	}

	// The primary IP cannot change.
	if _, err = mergePatch("web", `{"spec":{"clusterIP":"10.0.0.99","clusterIPs":["10.0.0.99"]}}`); err == nil ||
		!strings.Contains(err.Error(), `spec.clusterIPs[0]: Invalid value: ["10.0.0.99"]: may not change once set`) {
		t.Fatalf("change primary: %v", err)
	}
	expectIPs("changed primary refused", 1)

	// An upgrade that then fails validation gives its new IP back.
	_, err = mergePatch("web", `{"spec":{"ipFamilyPolicy":"RequireDualStack","sessionAffinity":"Sticky"}}`)
	if err == nil || !strings.Contains(err.Error(), "spec.sessionAffinity: Unsupported value") {
		t.Fatalf("invalid upgrade: %v", err)
	}
	expectIPs("failed upgrade", 1)

	// To ExternalName: the IP fields go, and the IP with them.
	if svc, err = mergePatch("web", `{"spec":{"type":"ExternalName","externalName":"db.example.com"}}`); err != nil {
		t.Fatal(err)
	}
	if summary(svc) != "<nil> [] 0" || svc.Spec.ClusterIP != "" {
		t.Fatalf("to ExternalName: %s", summary(svc))
	}
	expectIPs("to ExternalName", 0)

	// Back from ExternalName: allocated again.
	if svc, err = mergePatch("web", `{"spec":{"type":"ClusterIP","externalName":null}}`); err != nil {
		t.Fatal(err)
	}
	if summary(svc) != "SingleStack [IPv4] 1" {
		t.Fatalf("from ExternalName: %s", summary(svc))
	}
	tc.checkIPAddresses(t, ctx, svc)
	expectIPs("from ExternalName", 1)

	// Server-side apply: a NodePort whose apply configuration names no
	// node port or IP keeps what was allocated when re-applied.
	apply := corev1apply.Service("app", "default").WithSpec(corev1apply.ServiceSpec().
		WithType(corev1.ServiceTypeNodePort).WithSelector(map[string]string{"app": "app"}).
		WithIPFamilyPolicy(corev1.IPFamilyPolicyRequireDualStack).
		WithPorts(corev1apply.ServicePort().WithName("dns").WithPort(53).WithProtocol(corev1.ProtocolUDP),
			corev1apply.ServicePort().WithName("dns-tcp").WithPort(53).WithProtocol(corev1.ProtocolTCP)))
	applied, err := services.Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "test", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if summary(applied) != "RequireDualStack [IPv4 IPv6] 2" {
		t.Fatalf("apply: %s", summary(applied))
	}
	np := applied.Spec.Ports[0].NodePort
	if np == 0 || applied.Spec.Ports[1].NodePort != np {
		t.Fatalf("apply: 53/UDP and 53/TCP should share one node port: %+v", applied.Spec.Ports)
	}
	again, err := services.Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "test", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(again.Spec.ClusterIPs, applied.Spec.ClusterIPs) || again.Spec.Ports[0].NodePort != np || again.Spec.Ports[1].NodePort != np {
		t.Fatalf("re-apply changed allocations: %v %+v", again.Spec.ClusterIPs, again.Spec.Ports)
	}

	// To ClusterIP by apply: the node port is released; another Service
	// can then ask for it.
	if _, err := services.Apply(ctx, apply.WithSpec(apply.Spec.WithType(corev1.ServiceTypeClusterIP)), metav1.ApplyOptions{FieldManager: "test", Force: true}); err != nil {
		t.Fatal(err)
	}
	other := newService("other", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = np
	})
	if _, err := services.Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatalf("node port %d not released by the type change: %v", np, err)
	}

	// Dry runs change nothing.
	dry := newService("dry", func(s *corev1.Service) { s.Spec.ClusterIP = "10.0.0.7" })
	if _, err := services.Create(ctx, dry, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatal(err)
	}
	if _, err := services.Create(ctx, dry, metav1.CreateOptions{}); err != nil {
		t.Fatalf("10.0.0.7 after a dry run: %v", err)
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// TestNodePorts checks node port allocation and its errors.
func TestNodePorts(t *testing.T) {
	t.Parallel()
	tc := start(t, "", v4Range)
	ctx := t.Context()
	services := tc.client.CoreV1().Services("default")
	nodePort := func(name string, mutate ...func(*corev1.Service)) (*corev1.Service, error) {
		return services.Create(ctx, newService(name, append([]func(*corev1.Service){func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
		}}, mutate...)...), metav1.CreateOptions{})
	}

	// One requested entry of a port number gives its node port to the others.
	svc, err := nodePort("dns", func(s *corev1.Service) {
		s.Spec.Ports = []corev1.ServicePort{{Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP},
			{Name: "tcp", Port: 53, Protocol: corev1.ProtocolTCP, NodePort: 30053}, {Name: "http", Port: 80}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := svc.Spec.Ports; p[0].NodePort != 30053 || p[1].NodePort != 30053 || p[2].NodePort == 0 || p[2].NodePort == 30053 {
		t.Fatalf("node ports %+v", p)
	}
	// Dynamic ports come from above the static band (86 ports).
	if p := svc.Spec.Ports[2].NodePort; p < 30086 {
		t.Errorf("dynamic node port %d in the static band", p)
	}

	_, err = nodePort("taken", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30053 })
	if err == nil || !strings.HasSuffix(err.Error(), `spec.ports[0].nodePort: Invalid value: 30053: provided port is already allocated`) {
		t.Errorf("taken port: %v", err)
	}
	_, err = nodePort("low", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 80 })
	if err == nil || !strings.HasSuffix(err.Error(), `spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767`) {
		t.Errorf("port out of range: %v", err)
	}

	// LoadBalancers: allocateLoadBalancerNodePorts false allocates none but
	// honours requests; externalTrafficPolicy Local adds a health check port.
	lb, err := services.Create(ctx, newService("lb", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "https", Port: 443, NodePort: 30443})
	}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lb.Spec.Ports[0].NodePort != 0 || lb.Spec.Ports[1].NodePort != 30443 || lb.Spec.HealthCheckNodePort == 0 {
		t.Fatalf("LoadBalancer: ports %+v healthCheckNodePort %d", lb.Spec.Ports, lb.Spec.HealthCheckNodePort)
	}
	hc := lb.Spec.HealthCheckNodePort

	// Cluster traffic policy releases the health check port; deleting the
	// Services releases the rest.
	if _, err := services.Patch(ctx, "lb", types.MergePatchType, []byte(`{"spec":{"externalTrafficPolicy":"Cluster"}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodePort("reuse-hc", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = hc }); err != nil {
		t.Errorf("health check port %d not released: %v", hc, err)
	}
	for _, name := range []string{"dns", "lb"} {
		if err := services.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The LoadBalancer goes once its controller has removed the cleanup
	// finalizer; only then are its ports free.
	deadline := time.Now().Add(10 * time.Second)
	for _, err := services.Get(ctx, "lb", metav1.GetOptions{}); !apierrors.IsNotFound(err); _, err = services.Get(ctx, "lb", metav1.GetOptions{}) {
		if time.Now().After(deadline) {
			t.Fatalf("LoadBalancer Service still there 10s after its delete: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The release follows the delete's commit (the registry's after-delete
	// step), so a reader may see the Service gone a moment before.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err = nodePort("reuse", func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 1, NodePort: 30053}, {Name: "b", Port: 2, NodePort: 30443}}
		})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Errorf("node ports of deleted Services not released: %v", err)
	}
}
