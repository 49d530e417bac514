package service

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestSetDefaults(t *testing.T) {
	t.Parallel()
	cluster := ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	tests := []struct {
		name       string
		in         corev1.Service
		wantSpec   corev1.ServiceSpec
		wantStatus corev1.ServiceStatus
	}{
		{
			name: "ClusterIP service",
			in:   corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}, {Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")}}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone, InternalTrafficPolicy: cluster,
				Ports: []corev1.ServicePort{
					{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
					{Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				},
			},
		},
		{
			name: "ClientIP affinity gets the default timeout",
			in:   corev1.Service{Spec: corev1.ServiceSpec{SessionAffinity: corev1.ServiceAffinityClientIP, SessionAffinityConfig: &corev1.SessionAffinityConfig{}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster,
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](10800)}},
			},
		},
		{
			name: "ClientIP affinity keeps a set timeout",
			in: corev1.Service{Spec: corev1.ServiceSpec{SessionAffinity: corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster,
				SessionAffinity:       corev1.ServiceAffinityClientIP,
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}},
			},
		},
		{
			name: "None affinity drops the config",
			in: corev1.Service{Spec: corev1.ServiceSpec{
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}}},
			wantSpec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster, SessionAffinity: corev1.ServiceAffinityNone},
		},
		{
			name: "ClusterIP with external IPs gets an external traffic policy",
			in:   corev1.Service{Spec: corev1.ServiceSpec{ExternalIPs: []string{"203.0.113.5"}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, InternalTrafficPolicy: cluster, SessionAffinity: corev1.ServiceAffinityNone,
				ExternalIPs: []string{"203.0.113.5"}, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
			},
		},
		{
			name: "NodePort",
			in:   corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, InternalTrafficPolicy: cluster, SessionAffinity: corev1.ServiceAffinityNone,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyCluster,
				Ports:                 []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}},
			},
		},
		{
			name: "LoadBalancer with status",
			in: corev1.Service{
				Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.9"}, {Hostname: "lb.example.com"}}}},
			},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, InternalTrafficPolicy: cluster, SessionAffinity: corev1.ServiceAffinityNone,
				ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal, AllocateLoadBalancerNodePorts: ptr.To(true),
			},
			wantStatus: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
				{IP: "203.0.113.9", IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)}, {Hostname: "lb.example.com"}}}},
		},
		{
			name: "ExternalName gets no traffic policies; targetPort is still defaulted",
			in:   corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com", Ports: []corev1.ServicePort{{Port: 5432}}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com", SessionAffinity: corev1.ServiceAffinityNone,
				Ports: []corev1.ServicePort{{Port: 5432, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(5432)}},
			},
		},
		{
			name: "headless service; IP fields are left to the allocator",
			in:   corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Port: 80}}}},
			wantSpec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone, InternalTrafficPolicy: cluster, SessionAffinity: corev1.ServiceAffinityNone,
				Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			svc := tc.in.DeepCopy()
			SetDefaults(svc)
			if diff := cmp.Diff(tc.wantSpec, svc.Spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStatus, svc.Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			again := svc.DeepCopy()
			SetDefaults(again)
			if diff := cmp.Diff(svc, again); diff != "" {
				t.Errorf("SetDefaults is not idempotent (-first +second):\n%s", diff)
			}
		})
	}
}
