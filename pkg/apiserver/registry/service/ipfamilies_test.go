package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

const (
	v4 = corev1.IPv4Protocol
	v6 = corev1.IPv6Protocol

	single  = corev1.IPFamilyPolicySingleStack
	prefer  = corev1.IPFamilyPolicyPreferDualStack
	require = corev1.IPFamilyPolicyRequireDualStack
)

var (
	clusterV4   = Families{Primary: v4}
	clusterV6   = Families{Primary: v6}
	clusterV4V6 = Families{Primary: v4, Secondary: v6}
	clusterV6V4 = Families{Primary: v6, Secondary: v4}
)

// svcWith is a ClusterIP Service with a selector and the given IP fields
// ("" policy: unset).
func svcWith(policy corev1.IPFamilyPolicy, families []corev1.IPFamily, ips ...string) *corev1.Service {
	s := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: map[string]string{"app": "a"},
		IPFamilies: families}}
	if policy != "" {
		s.Spec.IPFamilyPolicy = ptr.To(policy)
	}
	if len(ips) > 0 {
		s.Spec.ClusterIP, s.Spec.ClusterIPs = ips[0], ips
	}
	return s
}

func fams(f ...corev1.IPFamily) []corev1.IPFamily { return f }

// TestInitIPFamilyFieldsCreate follows upstream's TestCreateInitIPFields
// (pkg/registry/core/service/storage/storage_test.go): the policy and
// families a create ends with, or the error, per cluster configuration.
func TestInitIPFamilyFieldsCreate(t *testing.T) {
	t.Parallel()
	headless := func(selector bool, policy corev1.IPFamilyPolicy, families ...corev1.IPFamily) *corev1.Service {
		s := svcWith(policy, families, corev1.ClusterIPNone)
		if !selector {
			s.Spec.Selector = nil
		}
		return s
	}
	tests := []struct {
		name       string
		cluster    Families
		svc        *corev1.Service
		wantPolicy corev1.IPFamilyPolicy
		wantFams   []corev1.IPFamily
		wantErr    string // substring of the errors, when set
	}{
		// singlestack:v4
		{name: "v4 unset", cluster: clusterV4, svc: svcWith("", nil), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4 families v4", cluster: clusterV4, svc: svcWith("", fams(v4)), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4 families v6", cluster: clusterV4, svc: svcWith("", fams(v6)), wantErr: `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{name: "v4 families v4v6", cluster: clusterV4, svc: svcWith("", fams(v4, v6)),
			wantErr: `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{name: "v4 prefer", cluster: clusterV4, svc: svcWith(prefer, nil), wantPolicy: prefer, wantFams: fams(v4)},
		{name: "v4 prefer families v6", cluster: clusterV4, svc: svcWith(prefer, fams(v6)), wantErr: "not configured on this cluster"},
		{name: "v4 prefer families v4v6", cluster: clusterV4, svc: svcWith(prefer, fams(v4, v6)), wantErr: `spec.ipFamilies[1]: Invalid value: "IPv6": not configured on this cluster`},
		{name: "v4 require", cluster: clusterV4, svc: svcWith(require, nil),
			wantErr: `spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{name: "v4 IP v4", cluster: clusterV4, svc: svcWith("", nil, "10.0.0.1"), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4 IP v4 families v6", cluster: clusterV4, svc: svcWith("", fams(v6), "10.0.0.1"),
			wantErr: "spec.clusterIPs[0]: Invalid value: \"10.0.0.1\": expected an IPv6 value as indicated by `ipFamilies[0]`"},
		{name: "v4 IP v6", cluster: clusterV4, svc: svcWith("", nil, "2000::1"),
			wantErr: `spec.clusterIPs[0]: Invalid value: ["2000::1"]: IPv6 is not configured on this cluster`},
		{name: "v4 IPs v4v6", cluster: clusterV4, svc: svcWith("", nil, "10.0.0.1", "2000::1"),
			wantErr: "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"},
		{name: "v4 IPs v4v6 prefer", cluster: clusterV4, svc: svcWith(prefer, nil, "10.0.0.1", "2000::1"),
			wantErr: `spec.clusterIPs[1]: Invalid value: ["10.0.0.1","2000::1"]: IPv6 is not configured on this cluster`},
		{name: "v4 headless selectorless", cluster: clusterV4, svc: headless(false, ""), wantPolicy: require, wantFams: fams(v4, v6)},
		{name: "v4 headless selectorless single", cluster: clusterV4, svc: headless(false, single), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4 headless selectorless families v6", cluster: clusterV4, svc: headless(false, "", v6), wantPolicy: require, wantFams: fams(v6, v4)},
		{name: "v4 headless with selector", cluster: clusterV4, svc: headless(true, ""), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4 headless with selector prefer", cluster: clusterV4, svc: headless(true, prefer), wantPolicy: prefer, wantFams: fams(v4)},
		{name: "v4 headless with selector require", cluster: clusterV4, svc: headless(true, require), wantErr: "this cluster is not configured for dual-stack services"},

		// singlestack:v6
		{name: "v6 unset", cluster: clusterV6, svc: svcWith("", nil), wantPolicy: single, wantFams: fams(v6)},
		{name: "v6 families v4", cluster: clusterV6, svc: svcWith("", fams(v4)), wantErr: `spec.ipFamilies[0]: Invalid value: "IPv4": not configured on this cluster`},
		{name: "v6 prefer", cluster: clusterV6, svc: svcWith(prefer, nil), wantPolicy: prefer, wantFams: fams(v6)},
		{name: "v6 IP v4", cluster: clusterV6, svc: svcWith("", nil, "10.0.0.1"),
			wantErr: `spec.clusterIPs[0]: Invalid value: ["10.0.0.1"]: IPv4 is not configured on this cluster`},
		{name: "v6 headless selectorless", cluster: clusterV6, svc: headless(false, ""), wantPolicy: require, wantFams: fams(v6, v4)},

		// dualstack:v4v6
		{name: "v4v6 unset", cluster: clusterV4V6, svc: svcWith("", nil), wantPolicy: single, wantFams: fams(v4)},
		{name: "v4v6 families v6", cluster: clusterV4V6, svc: svcWith("", fams(v6)), wantPolicy: single, wantFams: fams(v6)},
		{name: "v4v6 families v6v4", cluster: clusterV4V6, svc: svcWith("", fams(v6, v4)), wantErr: "when multiple IP families are specified"},
		{name: "v4v6 prefer", cluster: clusterV4V6, svc: svcWith(prefer, nil), wantPolicy: prefer, wantFams: fams(v4, v6)},
		{name: "v4v6 prefer families v6", cluster: clusterV4V6, svc: svcWith(prefer, fams(v6)), wantPolicy: prefer, wantFams: fams(v6, v4)},
		{name: "v4v6 require", cluster: clusterV4V6, svc: svcWith(require, nil), wantPolicy: require, wantFams: fams(v4, v6)},
		{name: "v4v6 require families v6v4", cluster: clusterV4V6, svc: svcWith(require, fams(v6, v4)), wantPolicy: require, wantFams: fams(v6, v4)},
		{name: "v4v6 require families v4v4", cluster: clusterV4V6, svc: svcWith(require, fams(v4, v4)), wantErr: `spec.ipFamilies[1]: Duplicate value: "IPv4"`},
		{name: "v4v6 IP v6", cluster: clusterV4V6, svc: svcWith("", nil, "2000::1"), wantPolicy: single, wantFams: fams(v6)},
		{name: "v4v6 IP v6 require", cluster: clusterV4V6, svc: svcWith(require, nil, "2000::1"), wantPolicy: require, wantFams: fams(v6, v4)},
		{name: "v4v6 IPs v6v4 prefer", cluster: clusterV4V6, svc: svcWith(prefer, nil, "2000::1", "10.0.0.1"), wantPolicy: prefer, wantFams: fams(v6, v4)},
		{name: "v4v6 IPs v4v4", cluster: clusterV4V6, svc: svcWith(prefer, nil, "10.0.0.1", "10.0.0.2"), wantErr: "may specify no more than one IP for each IP family"},
		{name: "v4v6 headless selectorless", cluster: clusterV4V6, svc: headless(false, ""), wantPolicy: require, wantFams: fams(v4, v6)},
		{name: "v4v6 headless with selector prefer", cluster: clusterV4V6, svc: headless(true, prefer), wantPolicy: prefer, wantFams: fams(v4, v6)},
		{name: "v4v6 bad policy", cluster: clusterV4V6, svc: svcWith("Both", nil),
			wantErr: `spec.ipFamilyPolicy: Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`},

		// dualstack:v6v4
		{name: "v6v4 unset", cluster: clusterV6V4, svc: svcWith("", nil), wantPolicy: single, wantFams: fams(v6)},
		{name: "v6v4 prefer", cluster: clusterV6V4, svc: svcWith(prefer, nil), wantPolicy: prefer, wantFams: fams(v6, v4)},
		{name: "v6v4 require families v4", cluster: clusterV6V4, svc: svcWith(require, fams(v4)), wantPolicy: require, wantFams: fams(v4, v6)},
		{name: "v6v4 IP v4", cluster: clusterV6V4, svc: svcWith("", nil, "10.0.0.1"), wantPolicy: single, wantFams: fams(v4)},
		{name: "v6v4 headless selectorless", cluster: clusterV6V4, svc: headless(false, ""), wantPolicy: require, wantFams: fams(v6, v4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := tc.svc.DeepCopy()
			errs := InitIPFamilyFields(svc, nil, tc.cluster)
			checkIPFamilies(t, svc, errs, tc.wantErr, tc.wantPolicy, tc.wantFams)
		})
	}
}

// checkIPFamilies fails t unless InitIPFamilyFields returned errors
// containing wantErr or, with wantErr empty, none and left svc with
// wantPolicy and wantFams. It reports whether svc was set without error,
// for the caller's further checks.
func checkIPFamilies(t *testing.T, svc *corev1.Service, errs field.ErrorList, wantErr string, wantPolicy corev1.IPFamilyPolicy, wantFams []corev1.IPFamily) bool {
	t.Helper()
	if wantErr != "" {
		if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), wantErr) {
			t.Fatalf("errors %v, want one containing %q", errs, wantErr)
		}
		return false
	}
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	if got := policyOf(svc); got != wantPolicy {
		t.Errorf("policy %q, want %q", got, wantPolicy)
	}
	if diff := cmp.Diff(wantFams, svc.Spec.IPFamilies); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}
	return true
}

// TestInitIPFamilyFieldsUpdate covers upgrades, downgrades and the
// PreferDualStack rule, after upstream's TestUpdateIPsFromSingleStack and
// friends.
func TestInitIPFamilyFieldsUpdate(t *testing.T) {
	t.Parallel()
	stored := func(policy corev1.IPFamilyPolicy, families []corev1.IPFamily, ips ...string) *corev1.Service {
		return svcWith(policy, families, ips...)
	}
	single4 := stored(single, fams(v4), "10.0.0.1")
	dual46 := stored(prefer, fams(v4, v6), "10.0.0.1", "2000::1")
	tests := []struct {
		name       string
		cluster    Families
		old        *corev1.Service
		mutate     func(s *corev1.Service)
		wantPolicy corev1.IPFamilyPolicy
		wantFams   []corev1.IPFamily
		wantIPs    []string
		wantErr    string
	}{
		{name: "nothing changes", cluster: clusterV4V6, old: single4, mutate: func(*corev1.Service) {},
			wantPolicy: single, wantFams: fams(v4), wantIPs: []string{"10.0.0.1"}},
		{name: "policy left out keeps the old one", cluster: clusterV4V6, old: dual46, mutate: func(s *corev1.Service) { s.Spec.IPFamilyPolicy = nil },
			wantPolicy: prefer, wantFams: fams(v4, v6), wantIPs: []string{"10.0.0.1", "2000::1"}},
		{name: "upgrade by policy", cluster: clusterV4V6, old: single4, mutate: func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr.To(require) },
			wantPolicy: require, wantFams: fams(v4, v6), wantIPs: []string{"10.0.0.1"}},
		{name: "upgrade on a single-stack cluster", cluster: clusterV4, old: single4, mutate: func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr.To(require) },
			wantErr: "this cluster is not configured for dual-stack services"},
		{name: "downgrade by policy alone", cluster: clusterV4V6, old: dual46, mutate: func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptr.To(single) },
			wantPolicy: single, wantFams: fams(v4), wantIPs: []string{"10.0.0.1"}},
		{name: "release without SingleStack", cluster: clusterV4V6, old: dual46, mutate: func(s *corev1.Service) { s.Spec.ClusterIPs = s.Spec.ClusterIPs[:1] },
			wantErr: `spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP`},
		{name: "release family without SingleStack", cluster: clusterV4V6, old: dual46, mutate: func(s *corev1.Service) { s.Spec.IPFamilies = s.Spec.IPFamilies[:1] },
			wantErr: "must be 'SingleStack' to release the secondary IP family"},
		{name: "PreferDualStack stays single on a cluster that became dual-stack", cluster: clusterV4V6,
			old:    stored(prefer, fams(v4), "10.0.0.1"),
			mutate: func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "b"} },
			// isMatchingPreferDualStack: nothing is added.
			wantPolicy: prefer, wantFams: fams(v4), wantIPs: []string{"10.0.0.1"}},
		{name: "PreferDualStack keeps both on a cluster that became single-stack", cluster: clusterV4, old: dual46,
			mutate:     func(*corev1.Service) {},
			wantPolicy: prefer, wantFams: fams(v4, v6), wantIPs: []string{"10.0.0.1", "2000::1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			old := tc.old.DeepCopy()
			svc := old.DeepCopy()
			tc.mutate(svc)
			errs := InitIPFamilyFields(svc, old, tc.cluster)
			if !checkIPFamilies(t, svc, errs, tc.wantErr, tc.wantPolicy, tc.wantFams) {
				return
			}
			if diff := cmp.Diff(tc.wantIPs, svc.Spec.ClusterIPs); diff != "" {
				t.Errorf("clusterIPs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeClusterIPs(t *testing.T) {
	t.Parallel()
	ips := func(ip string, ips ...string) corev1.ServiceSpec {
		return corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: ips}
	}
	tests := []struct {
		name      string
		old, in   *corev1.ServiceSpec
		wantSpec  corev1.ServiceSpec
		isCreate  bool
		inputSpec corev1.ServiceSpec
	}{
		{name: "create: singular only", isCreate: true, inputSpec: ips("10.0.0.1"), wantSpec: ips("10.0.0.1", "10.0.0.1")},
		{name: "create: IPv6 singular only", isCreate: true, inputSpec: ips("2000::1"), wantSpec: ips("2000::1", "2000::1")},
		{name: "create: plural only is left for validation", isCreate: true, inputSpec: ips("", "10.0.0.1"), wantSpec: ips("", "10.0.0.1")},
		{name: "update: plural left out", old: ptr.To(ips("10.0.0.1", "10.0.0.1", "2000::1")), inputSpec: ips("10.0.0.1"),
			wantSpec: ips("10.0.0.1", "10.0.0.1", "2000::1")},
		{name: "update: both cleared", old: ptr.To(ips("2000::1", "2000::1")), inputSpec: ips("", "2000::1"), wantSpec: ips("")},
		{name: "update: singular changed", old: ptr.To(ips("10.0.0.1", "10.0.0.1")), inputSpec: ips("10.0.0.2", "10.0.0.1"),
			wantSpec: ips("10.0.0.2", "10.0.0.2")},
		{name: "update: both changed", old: ptr.To(ips("10.0.0.1", "10.0.0.1")), inputSpec: ips("10.0.0.2", "10.0.0.3"),
			wantSpec: ips("10.0.0.2", "10.0.0.3")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := &corev1.Service{Spec: tc.inputSpec}
			var old *corev1.Service
			if !tc.isCreate {
				old = &corev1.Service{Spec: *tc.old}
			}
			NormalizeClusterIPs(svc, old)
			if diff := cmp.Diff(tc.wantSpec, svc.Spec); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchAllocatedValues(t *testing.T) {
	t.Parallel()
	old := &corev1.Service{Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal, HealthCheckNodePort: 31000,
		ClusterIP: "fd00::5", ClusterIPs: []string{"fd00::5", "10.0.0.5"},
		Ports: []corev1.ServicePort{{Name: "a", Port: 80, NodePort: 30080}, {Name: "b", Port: 81, NodePort: 30081}},
	}}
	tests := []struct {
		name   string
		mutate func(s *corev1.ServiceSpec)
		want   func(s *corev1.ServiceSpec)
	}{
		{name: "everything left out comes back",
			mutate: func(s *corev1.ServiceSpec) {
				s.ClusterIP, s.ClusterIPs, s.HealthCheckNodePort = "", nil, 0
				s.Ports[0].NodePort, s.Ports[1].NodePort = 0, 0
			},
			want: func(*corev1.ServiceSpec) {}},
		{name: "a node port moved to another entry is not copied twice",
			mutate: func(s *corev1.ServiceSpec) { s.Ports[0].NodePort, s.Ports[1].NodePort = 0, 30080 },
			want:   func(s *corev1.ServiceSpec) { s.Ports[0].NodePort, s.Ports[1].NodePort = 0, 30080 }},
		{name: "a renamed entry gets nothing",
			mutate: func(s *corev1.ServiceSpec) { s.Ports[1].Name, s.Ports[1].NodePort = "c", 0 },
			want:   func(s *corev1.ServiceSpec) { s.Ports[1].Name, s.Ports[1].NodePort = "c", 0 }},
		{name: "to ClusterIP keeps the IPs, not the node ports",
			mutate: func(s *corev1.ServiceSpec) {
				s.Type, s.ClusterIP, s.ClusterIPs, s.ExternalTrafficPolicy, s.HealthCheckNodePort = corev1.ServiceTypeClusterIP, "", nil, "", 0
				s.Ports[0].NodePort, s.Ports[1].NodePort = 0, 0
			},
			want: func(s *corev1.ServiceSpec) {
				s.Type, s.ExternalTrafficPolicy, s.HealthCheckNodePort = corev1.ServiceTypeClusterIP, "", 0
				s.Ports[0].NodePort, s.Ports[1].NodePort = 0, 0
			}},
		{name: "to ExternalName keeps nothing",
			mutate: func(s *corev1.ServiceSpec) {
				s.Type, s.ClusterIP, s.ClusterIPs = corev1.ServiceTypeExternalName, "", nil
			},
			want: func(s *corev1.ServiceSpec) {
				s.Type, s.ClusterIP, s.ClusterIPs = corev1.ServiceTypeExternalName, "", nil
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, want := old.DeepCopy(), old.DeepCopy()
			tc.mutate(&svc.Spec)
			tc.want(&want.Spec)
			PatchAllocatedValues(svc, old)
			if diff := cmp.Diff(want.Spec, svc.Spec); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDropTypeDependentFields(t *testing.T) {
	t.Parallel()
	lb := &corev1.Service{
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal, HealthCheckNodePort: 31000,
			ClusterIP: "10.0.0.5", ClusterIPs: []string{"10.0.0.5", "fd00::5"}, IPFamilies: fams(v4, v6), IPFamilyPolicy: ptr.To(prefer),
			AllocateLoadBalancerNodePorts: ptr.To(true), LoadBalancerClass: ptr.To("example.com/lb"),
			Ports: []corev1.ServicePort{{Name: "a", Port: 80, NodePort: 30080}},
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.1"}}}},
	}
	tests := []struct {
		name   string
		mutate func(s *corev1.Service)
		want   func(s *corev1.Service)
	}{
		{name: "to ClusterIP drops node ports, health check, LB fields and status",
			mutate: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP },
			want: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeClusterIP
				s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = "", 0
				s.Spec.AllocateLoadBalancerNodePorts, s.Spec.LoadBalancerClass = nil, nil
				s.Spec.Ports[0].NodePort = 0
				s.Status = corev1.ServiceStatus{}
			}},
		{name: "to ClusterIP with a new node port keeps it for validation to reject",
			mutate: func(s *corev1.Service) { s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeClusterIP, 30099 },
			want: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeClusterIP, 30099
				s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = "", 0
				s.Spec.AllocateLoadBalancerNodePorts, s.Spec.LoadBalancerClass = nil, nil
				s.Status = corev1.ServiceStatus{}
			}},
		{name: "to ExternalName drops the IP fields too",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "db.example.com"
			},
			want: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "db.example.com"
				s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.IPFamilies, s.Spec.IPFamilyPolicy = "", nil, nil, nil
				s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = "", 0
				s.Spec.AllocateLoadBalancerNodePorts, s.Spec.LoadBalancerClass = nil, nil
				s.Spec.Ports[0].NodePort = 0
				s.Status = corev1.ServiceStatus{}
			}},
		{name: "to ExternalName keeps edited IP fields for validation to reject",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName, s.Spec.ClusterIPs = corev1.ServiceTypeExternalName, "db.example.com", []string{"10.0.0.5"}
			},
			want: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName, s.Spec.ClusterIPs = corev1.ServiceTypeExternalName, "db.example.com", []string{"10.0.0.5"}
				s.Spec.IPFamilies, s.Spec.IPFamilyPolicy = nil, nil
				s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = "", 0
				s.Spec.AllocateLoadBalancerNodePorts, s.Spec.LoadBalancerClass = nil, nil
				s.Spec.Ports[0].NodePort = 0
				s.Status = corev1.ServiceStatus{}
			}},
		{name: "to NodePort keeps node ports, drops the health check port",
			mutate: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort },
			want: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.HealthCheckNodePort = corev1.ServiceTypeNodePort, 0
				s.Spec.AllocateLoadBalancerNodePorts, s.Spec.LoadBalancerClass = nil, nil
				s.Status = corev1.ServiceStatus{}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc, want := lb.DeepCopy(), lb.DeepCopy()
			tc.mutate(svc)
			tc.want(want)
			DropTypeDependentFields(svc, lb)
			if diff := cmp.Diff(want, svc); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultOnRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		primary corev1.IPFamily
		in      corev1.ServiceSpec
		want    corev1.ServiceSpec
	}{
		{name: "old IPv4 service", primary: v6, in: corev1.ServiceSpec{ClusterIP: "10.0.0.1"},
			want: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1"}, IPFamilies: fams(v4), IPFamilyPolicy: ptr.To(single)}},
		{name: "old IPv6 service", primary: v4, in: corev1.ServiceSpec{ClusterIP: "fd00::1"},
			want: corev1.ServiceSpec{ClusterIP: "fd00::1", ClusterIPs: []string{"fd00::1"}, IPFamilies: fams(v6), IPFamilyPolicy: ptr.To(single)}},
		{name: "old headless selectorless", primary: v6, in: corev1.ServiceSpec{ClusterIP: "None"},
			want: corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}, IPFamilies: fams(v6, v4), IPFamilyPolicy: ptr.To(require)}},
		{name: "old headless with selector", primary: v4, in: corev1.ServiceSpec{ClusterIP: "None", Selector: map[string]string{"a": "b"}},
			want: corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}, Selector: map[string]string{"a": "b"}, IPFamilies: fams(v4), IPFamilyPolicy: ptr.To(single)}},
		{name: "ExternalName drops internalTrafficPolicy", primary: v4,
			in:   corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyCluster)},
			want: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName}},
		{name: "new service untouched", primary: v4,
			in:   corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}, IPFamilies: fams(v4, v6), IPFamilyPolicy: ptr.To(prefer)},
			want: corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}, IPFamilies: fams(v4, v6), IPFamilyPolicy: ptr.To(prefer)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := &corev1.Service{Spec: tc.in}
			DefaultOnRead(svc, tc.primary)
			if diff := cmp.Diff(tc.want, svc.Spec); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
