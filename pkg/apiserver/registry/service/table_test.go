package service

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func service(name string, typ corev1.ServiceType, mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: tablestest.ObjectMeta(name, 3*24*time.Hour),
		Spec: corev1.ServiceSpec{
			Type:       typ,
			ClusterIP:  "10.96.12.34",
			ClusterIPs: []string{"10.96.12.34"},
			Selector:   map[string]string{"app": name},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func TestTable(t *testing.T) {
	t.Parallel()
	tablestest.Golden{Name: "services", Table: table}.Check(t, []tablestest.Case{
		{Name: "cluster IP", Obj: service("web", corev1.ServiceTypeClusterIP)},
		{Name: "dual-stack shows only the primary cluster IP", Obj: service("web-dual", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIP = "fd00:10:96::1234"
			s.Spec.ClusterIPs = []string{"fd00:10:96::1234", "10.96.12.35"}
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		})},
		{Name: "cluster IP without clusterIPs falls back to clusterIP", Obj: service("legacy", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIPs = nil
		})},
		{Name: "headless, several selector labels, several ports", Obj: service("db", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "None", []string{"None"}
			s.Spec.Selector = map[string]string{"tier": "db", "app": "pg"}
			s.Spec.Ports = []corev1.ServicePort{{Port: 5432, Protocol: corev1.ProtocolTCP}, {Port: 5433, Protocol: corev1.ProtocolUDP}}
		})},
		{Name: "cluster IP with external IPs, no selector", Obj: service("ext", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ExternalIPs = []string{"198.51.100.1", "198.51.100.2"}
			s.Spec.Selector = nil
		})},
		{Name: "node port", Obj: service("np", corev1.ServiceTypeNodePort, func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{
				{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP},
				{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP},
			}
		})},
		{Name: "load balancer pending", Obj: service("lb-pending", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.Ports[0].NodePort = 31000
		})},
		{Name: "load balancer with IP and hostname ingress, duplicates, external IPs", Obj: service("lb", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.Ports[0].NodePort = 31001
			s.Spec.ExternalIPs = []string{"198.51.100.9"}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{
				{IP: "203.0.113.20"},
				{Hostname: "lb.example.com"},
				{IP: "203.0.113.10", Hostname: "ignored.example.com"},
				{IP: "203.0.113.20"},
				{},
			}
		})},
		{Name: "load balancer with a long hostname is not truncated", Obj: service("lb-host", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "a1b2c3d4e5f6.elb.eu-west-1.amazonaws.com"}}
		})},
		{Name: "dual-stack load balancer", Obj: service("lb-dual", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.ClusterIPs = []string{"10.96.12.34", "fd00:10:96::1234"}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.30"}, {IP: "2001:db8::30"}}
		})},
		{Name: "external name", Obj: service("upstream", corev1.ServiceTypeExternalName, func(s *corev1.Service) {
			s.Spec.ExternalName = "api.example.com"
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
			s.Spec.Selector, s.Spec.Ports = nil, nil
		})},
		{Name: "type not set", Obj: service("untyped", "")},
		{Name: "list", Obj: &corev1.ServiceList{
			ListMeta: metav1.ListMeta{ResourceVersion: "55", Continue: "next"},
			Items:    []corev1.Service{*service("a", corev1.ServiceTypeClusterIP), *service("b", corev1.ServiceTypeNodePort)},
		}},
	})
}
