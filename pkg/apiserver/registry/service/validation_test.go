package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// fieldErr is what the tests compare of a field.Error.
type fieldErr struct {
	Type   field.ErrorType
	Field  string
	Detail string
}

// summarize keeps type, field and detail; for NotSupported only the list of
// supported values (the detail starts with the value for some callers).
func summarize(errs field.ErrorList) []fieldErr {
	var out []fieldErr
	for _, e := range errs {
		d := e.Detail
		if e.Type == field.ErrorTypeNotSupported {
			if _, tail, ok := strings.Cut(d, "supported values: "); ok {
				d = "supported values: " + tail
			}
		}
		out = append(out, fieldErr{e.Type, e.Field, d})
	}
	return out
}

const (
	ipMsg        = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
	portRangeMsg = "must be between 1 and 65535, inclusive"
)

func baseService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// mutate changes the base service; SetDefaults runs after it unless raw.
		mutate func(s *corev1.Service)
		raw    bool
		want   []fieldErr
	}{
		{name: "valid ClusterIP service", mutate: func(*corev1.Service) {}},
		{
			name:   "valid service with a requested clusterIP",
			mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.10" },
		},
		{
			name: "valid dual-stack clusterIPs",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "fd00:10:96::a"}
			},
		},
		{
			name: "valid headless service without ports",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.Ports = corev1.ClusterIPNone, nil
			},
		},
		{
			name:   "ports required",
			mutate: func(s *corev1.Service) { s.Spec.Ports = nil },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.ports", ""}},
		},
		{
			name: "valid named ports with string targetPort",
			mutate: func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{
					{Name: "http", Port: 80, TargetPort: intstr.FromString("web")},
					{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
					{Name: "dns-tcp", Port: 53, AppProtocol: ptr.To("kubernetes.io/h2c")},
				}
			},
		},
		{
			name: "port checks",
			mutate: func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{
					{Port: 0},
					{Name: "Http", Port: 70000, Protocol: "ICMP", TargetPort: intstr.FromString("Web_UI")},
					{Name: "x", Port: 81, TargetPort: intstr.FromInt32(70000)},
					{Name: "x", Port: 82},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.ports[0].name", ""},
				{field.ErrorTypeInvalid, "spec.ports[0].port", portRangeMsg},
				{field.ErrorTypeInvalid, "spec.ports[0].targetPort", portRangeMsg},
				{field.ErrorTypeInvalid, "spec.ports[1].name", "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
				{field.ErrorTypeInvalid, "spec.ports[1].port", portRangeMsg},
				{field.ErrorTypeNotSupported, "spec.ports[1].protocol", `supported values: "SCTP", "TCP", "UDP"`},
				{field.ErrorTypeInvalid, "spec.ports[1].targetPort", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"},
				{field.ErrorTypeInvalid, "spec.ports[2].targetPort", portRangeMsg},
				{field.ErrorTypeDuplicate, "spec.ports[3].name", ""},
			},
		},
		{
			name: "same port and protocol twice",
			mutate: func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 80}, {Name: "c", Port: 80, Protocol: corev1.ProtocolUDP}}
			},
			want: []fieldErr{{field.ErrorTypeDuplicate, "spec.ports[1]", ""}},
		},
		{
			name:   "nodePort on a ClusterIP service",
			mutate: func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 },
			want:   []fieldErr{{field.ErrorTypeForbidden, "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"}},
		},
		{
			name: "valid NodePort service",
			mutate: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeNodePort
				s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 53, NodePort: 30053}, {Name: "b", Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053}}
			},
		},
		{
			name: "duplicate nodePort for a protocol",
			mutate: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeNodePort
				s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80, NodePort: 30080}, {Name: "b", Port: 81, NodePort: 30080}}
			},
			want: []fieldErr{{field.ErrorTypeDuplicate, "spec.ports[1].nodePort", ""}},
		},
		{
			name:   "type supported values",
			mutate: func(s *corev1.Service) { s.Spec.Type = "Internal" },
			want:   []fieldErr{{field.ErrorTypeNotSupported, "spec.type", `supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`}},
		},
		{
			name:   "selector labels",
			mutate: func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "-web"} },
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.selector",
				"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}},
		},
		{
			name:   "sessionAffinity supported values",
			mutate: func(s *corev1.Service) { s.Spec.SessionAffinity = "Sticky" },
			want:   []fieldErr{{field.ErrorTypeNotSupported, "spec.sessionAffinity", `supported values: "ClientIP", "None"`}},
		},
		{
			name: "ClientIP timeout range",
			mutate: func(s *corev1.Service) {
				s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
				s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](86401)}}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "must be greater than 0 and less than 86400"}},
		},
		{
			name: "valid ExternalName with a trailing dot",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName, s.Spec.Selector, s.Spec.Ports = corev1.ServiceTypeExternalName, "db.example.com.", nil, nil
			},
		},
		{
			name:   "ExternalName required",
			mutate: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.externalName", ""}},
		},
		{
			name: "ExternalName checks",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName, s.Spec.ClusterIP = corev1.ServiceTypeExternalName, "DB_host", "10.96.0.10"
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
			},
			want: []fieldErr{
				{field.ErrorTypeForbidden, "spec.clusterIPs", "may not be set for ExternalName services"},
				{field.ErrorTypeForbidden, "spec.ipFamilyPolicy", "may not be set for ExternalName services"},
				{field.ErrorTypeInvalid, "spec.externalName", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
			},
		},
		{
			name:   "valid external IPs",
			mutate: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"203.0.113.7", "2001:db8::7"} },
		},
		{
			name:   "external IP checks",
			mutate: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"not-an-ip", "127.0.0.1", "169.254.1.1"} },
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.externalIPs[0]", ipMsg},
				{field.ErrorTypeInvalid, "spec.externalIPs[1]", "may not be in the loopback range (127.0.0.0/8, ::1/128)"},
				{field.ErrorTypeInvalid, "spec.externalIPs[2]", "may not be in the link-local range (169.254.0.0/16, fe80::/10)"},
			},
		},
		{
			name: "valid LoadBalancer with source ranges",
			mutate: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeLoadBalancer
				s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", " 192.168.0.0/16 "}
				s.Spec.LoadBalancerClass = ptr.To("example.com/lb")
			},
		},
		{
			name: "source range checks",
			mutate: func(s *corev1.Service) {
				s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/33"}
			},
			want: []fieldErr{
				{field.ErrorTypeForbidden, "spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"},
				{field.ErrorTypeInvalid, "spec.LoadBalancerSourceRanges[0]", "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"},
			},
		},
		{
			name: "source range annotation",
			mutate: func(s *corev1.Service) {
				s.Annotations = map[string]string{corev1.AnnotationLoadBalancerSourceRangesKey: "10.0.0.0/8, bad"}
			},
			want: []fieldErr{
				{field.ErrorTypeForbidden, "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]", "may only be used when `type` is 'LoadBalancer'"},
				{field.ErrorTypeInvalid, "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]", "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"},
			},
		},
		{
			name: "LoadBalancer-only fields elsewhere",
			mutate: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeNodePort
				s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
				s.Spec.LoadBalancerClass = ptr.To("example.com/lb")
			},
			want: []fieldErr{
				{field.ErrorTypeForbidden, "spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"},
				{field.ErrorTypeForbidden, "spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"},
			},
		},
		{
			name: "headless LoadBalancer",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ClusterIP = corev1.ServiceTypeLoadBalancer, corev1.ClusterIPNone
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs[0]", "may not be set to 'None' for LoadBalancer services"}},
		},
		{
			name: "Local LoadBalancer needs a health check node port (allocated upstream before validation)",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalTrafficPolicy = corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal
			},
			want: []fieldErr{{field.ErrorTypeRequired, "spec.healthCheckNodePort", ""}},
		},
		{
			name: "valid Local LoadBalancer with its health check node port",
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalTrafficPolicy = corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.HealthCheckNodePort = 31000
			},
		},
		{
			name: "traffic policy checks",
			mutate: func(s *corev1.Service) {
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.HealthCheckNodePort = 31000
				s.Spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicy("Node"))
				s.Spec.TrafficDistribution = ptr.To("Nearby")
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.externalTrafficPolicy", "may only be set for externally-accessible services"},
				{field.ErrorTypeInvalid, "spec.healthCheckNodePort", "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"},
				{field.ErrorTypeNotSupported, "spec.internalTrafficPolicy", `supported values: "Cluster", "Local"`},
				{field.ErrorTypeNotSupported, "spec.trafficDistribution", `supported values: "PreferClose", "PreferSameZone", "PreferSameNode"`},
			},
		},
		{
			name: "cluster IP syntax",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP = "10.96.0.300"
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs[0]", ipMsg}},
		},
		{
			name: "clusterIPs must start with clusterIP",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.11"}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs", "first value must match `clusterIP`"}},
		},
		{
			name:   "clusterIPs without clusterIP",
			mutate: func(s *corev1.Service) { s.Spec.ClusterIPs = []string{"10.96.0.11"} },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs", "must be empty when `clusterIP` is not specified"}},
		},
		{
			name: "None must stand alone",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone, "10.96.0.11"}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs", "'None' must be the first and only value"}},
		},
		{
			name: "one IP per family",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "10.96.0.11"}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs", "may specify no more than one IP for each IP family"}},
		},
		{
			name: "at most two cluster IPs",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "fd00::a", "10.96.0.11"}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs", "may only hold up to 2 values"}},
		},
		{
			name: "topology annotations must agree",
			mutate: func(s *corev1.Service) {
				s.Annotations = map[string]string{corev1.AnnotationTopologyMode: "Auto", corev1.DeprecatedAnnotationTopologyAwareHints: "Disabled"}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "metadata.annotations[service.kubernetes.io/topology-mode]",
				"must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified"}},
		},
		{
			name:   "required fields without defaults",
			raw:    true,
			mutate: func(*corev1.Service) {},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.ports[0].protocol", ""},
				{field.ErrorTypeInvalid, "spec.ports[0].targetPort", portRangeMsg},
				{field.ErrorTypeRequired, "spec.sessionAffinity", ""},
				{field.ErrorTypeRequired, "spec.type", ""},
			},
		},
		{
			name: "LoadBalancer without defaults needs allocateLoadBalancerNodePorts",
			raw:  true,
			mutate: func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeLoadBalancer
				SetDefaults(s)
				s.Spec.AllocateLoadBalancerNodePorts = nil
			},
			want: []fieldErr{{field.ErrorTypeRequired, "allocateLoadBalancerNodePorts", ""}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := baseService()
			tc.mutate(s)
			if !tc.raw {
				SetDefaults(s)
			}
			// As the storage does before it validates.
			NormalizeClusterIPs(s, nil)
			before := s.DeepCopy()
			got := summarize(Validate(s))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, s); diff != "" {
				t.Errorf("Validate changed the service (-before +after):\n%s", diff)
			}
		})
	}
}

// TestValidateErrorStrings pins the full text users see for a few errors.
func TestValidateErrorStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *corev1.Service)
		want   []string
	}{
		{
			name: "duplicate port prints upstream's internal struct",
			mutate: func(s *corev1.Service) {
				s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 80}}
			},
			want: []string{`spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}`},
		},
		{
			name:   "unsupported type",
			mutate: func(s *corev1.Service) { s.Spec.Type = "Internal" },
			want:   []string{`spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		},
		{
			name:   "bad cluster IP",
			mutate: func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.300" },
			want:   []string{`spec.clusterIPs[0]: Invalid value: "10.96.0.300": ` + ipMsg},
		},
		{
			name: "two IPv4 cluster IPs",
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10", "10.96.0.11"}
			},
			want: []string{`spec.clusterIPs: Invalid value: ["10.96.0.10","10.96.0.11"]: may specify no more than one IP for each IP family`},
		},
		{
			name:   "missing ports",
			mutate: func(s *corev1.Service) { s.Spec.Ports = nil },
			want:   []string{"spec.ports: Required value"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := baseService()
			tc.mutate(s)
			SetDefaults(s)
			NormalizeClusterIPs(s, nil)
			var got []string
			for _, e := range Validate(s) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate error strings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	// allocated is a service as stored: defaulted, with a cluster IP.
	allocated := func(mutate func(s *corev1.Service)) *corev1.Service {
		s := baseService()
		s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.10", []string{"10.96.0.10"}
		s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		if mutate != nil {
			mutate(s)
		}
		SetDefaults(s)
		return s
	}
	tests := []struct {
		name    string
		old     *corev1.Service
		mutate  func(s *corev1.Service) // changes a copy of old
		want    []fieldErr
		wantErr []string // full strings, when set
	}{
		{name: "no change", old: allocated(nil), mutate: func(*corev1.Service) {}},
		{
			name: "client leaves the cluster IPs out",
			old:  allocated(nil),
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
				s.Spec.Ports[0].Port = 8080
			},
		},
		{
			name:    "clusterIP changed",
			old:     allocated(nil),
			mutate:  func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.11" },
			wantErr: []string{`spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set`},
		},
		{
			name:   "clusterIPs changed",
			old:    allocated(nil),
			mutate: func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.96.0.11", []string{"10.96.0.11"} },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.clusterIPs[0]", "may not change once set"}},
		},
		{
			name: "secondary cluster IP added",
			old:  allocated(nil),
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIPs = append(s.Spec.ClusterIPs, "fd00:10:96::a")
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
			},
		},
		{
			name: "secondary released without SingleStack",
			old: allocated(func(s *corev1.Service) {
				s.Spec.ClusterIPs = []string{"10.96.0.10", "fd00:10:96::a"}
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
			}),
			mutate: func(s *corev1.Service) { s.Spec.ClusterIPs = s.Spec.ClusterIPs[:1] },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.ipFamilyPolicy", "must be set to 'SingleStack' when releasing the secondary clusterIP"}},
		},
		{
			name: "secondary released with SingleStack",
			old: allocated(func(s *corev1.Service) {
				s.Spec.ClusterIPs = []string{"10.96.0.10", "fd00:10:96::a"}
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyPreferDualStack)
			}),
			mutate: func(s *corev1.Service) {
				s.Spec.ClusterIPs = s.Spec.ClusterIPs[:1]
				s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
			},
		},
		{
			name: "headless stays headless",
			old: allocated(func(s *corev1.Service) {
				s.Spec.ClusterIP, s.Spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
			}),
			mutate: func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "other"} },
		},
		{
			name: "to ExternalName once the client clears the IP fields",
			old:  allocated(nil),
			mutate: func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "db.example.com"
				s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.IPFamilies, s.Spec.IPFamilyPolicy = "", nil, nil, nil
				s.Spec.InternalTrafficPolicy = nil
			},
		},
		{
			name: "loadBalancerClass may not change",
			old: allocated(func(s *corev1.Service) {
				s.Spec.Type, s.Spec.LoadBalancerClass = corev1.ServiceTypeLoadBalancer, ptr.To("example.com/a")
			}),
			mutate: func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/b") },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.loadBalancerClass", "may not change once set"}},
		},
		{
			name: "healthCheckNodePort may not change",
			old: allocated(func(s *corev1.Service) {
				s.Spec.Type, s.Spec.ExternalTrafficPolicy = corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal
				s.Spec.HealthCheckNodePort = 31000
			}),
			mutate: func(s *corev1.Service) { s.Spec.HealthCheckNodePort = 31001 },
			want:   []fieldErr{{field.ErrorTypeForbidden, "spec.healthCheckNodePort", "field is immutable"}},
		},
		{
			name:   "new spec is validated too",
			old:    allocated(nil),
			mutate: func(s *corev1.Service) { s.Spec.SessionAffinity = "Sticky" },
			want:   []fieldErr{{field.ErrorTypeNotSupported, "spec.sessionAffinity", `supported values: "ClientIP", "None"`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.old.DeepCopy()
			tc.mutate(s)
			// As the storage does before it validates.
			PatchAllocatedValues(s, tc.old)
			NormalizeClusterIPs(s, tc.old)
			errs := ValidateUpdate(s, tc.old)
			if tc.wantErr != nil {
				var got []string
				for _, e := range errs {
					got = append(got, e.Error())
				}
				if diff := cmp.Diff(tc.wantErr, got); diff != "" {
					t.Errorf("ValidateUpdate error strings (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tc.want, summarize(errs)); diff != "" {
				t.Errorf("ValidateUpdate (-want +got):\n%s", diff)
			}
		})
	}
}
