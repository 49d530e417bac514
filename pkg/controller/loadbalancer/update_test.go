package loadbalancer

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

func lbService(mutate func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default", UID: "uid-1"},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}},
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
		},
	}
	if mutate != nil {
		mutate(svc)
	}
	return svc
}

// TestNeedsUpdate: which Service changes resync the load balancer, and the
// events upstream records for them (an empty event means none).
func TestNeedsUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		old    func(*corev1.Service)
		cur    func(*corev1.Service)
		want   bool
		events []string
	}{
		{name: "nothing changed", want: false},
		{name: "status and finalizers only", cur: func(s *corev1.Service) {
			s.Finalizers = []string{Finalizer}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "172.18.255.1"}}
		}, want: false},
		{name: "neither wants a load balancer", old: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP },
			cur: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }, want: false},
		{name: "type to ClusterIP", cur: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP },
			want: true, events: []string{"Normal Type LoadBalancer -> ClusterIP"}},
		{name: "type from NodePort", old: func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort },
			want: true, events: []string{"Normal Type NodePort -> LoadBalancer"}},
		{name: "class means not ours", old: func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/lb") },
			cur: func(s *corev1.Service) {
				s.Spec.LoadBalancerClass = ptr.To("example.com/lb")
				s.Spec.LoadBalancerIP = "172.18.255.9"
			}, want: false},
		{name: "source ranges", cur: func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8"} },
			want: true, events: []string{"Normal LoadBalancerSourceRanges [] -> [10.0.0.0/8]"}},
		{name: "port", cur: func(s *corev1.Service) { s.Spec.Ports[0].Port = 81 }, want: true},
		{name: "port appProtocol is not compared", cur: func(s *corev1.Service) { s.Spec.Ports[0].AppProtocol = ptr.To("http") }, want: false},
		{name: "session affinity", cur: func(s *corev1.Service) { s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP }, want: true},
		{name: "loadBalancerIP", cur: func(s *corev1.Service) { s.Spec.LoadBalancerIP = "172.18.255.9" },
			want: true, events: []string{"Normal LoadbalancerIP  -> 172.18.255.9"}},
		{name: "external IP added", cur: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.1"} },
			want: true, events: []string{"Normal ExternalIP Count: 0 -> 1"}},
		{name: "external IP changed", old: func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.1"} },
			cur:  func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"2001:db8::1"} },
			want: true, events: []string{"Normal ExternalIP Added: 2001:db8::1"}},
		{name: "annotations", cur: func(s *corev1.Service) { s.Annotations = map[string]string{"a": "b"} }, want: true},
		{name: "UID", cur: func(s *corev1.Service) { s.UID = "uid-2" },
			want: true, events: []string{"Normal UID uid-1 -> uid-2"}},
		{name: "external traffic policy", cur: func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal },
			want: true, events: []string{"Normal ExternalTrafficPolicy Cluster -> Local"}},
		{name: "health check node port", cur: func(s *corev1.Service) { s.Spec.HealthCheckNodePort = 32000 },
			want: true, events: []string{"Normal HealthCheckNodePort 0 -> 32000"}},
		{name: "IPv4 to dual-stack", cur: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		}, want: true},
		{name: "dual-stack to IPv6 first", old: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		}, cur: func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := record.NewFakeRecorder(10)
			c := &Controller{events: events.To(fake)}
			if got := c.needsUpdate(lbService(tc.old), lbService(tc.cur)); got != tc.want {
				t.Errorf("needsUpdate = %v, want %v", got, tc.want)
			}
			close(fake.Events)
			var events []string
			for e := range fake.Events {
				events = append(events, e)
			}
			if len(events) != len(tc.events) {
				t.Fatalf("events %q, want %q", events, tc.events)
			}
			for i := range events {
				if events[i] != tc.events[i] {
					t.Errorf("event %q, want %q", events[i], tc.events[i])
				}
			}
		})
	}
}
