package envvars

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestFromServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []*corev1.Service
		want     []corev1.EnvVar
	}{
		{
			name:     "ipv4 unnamed tcp port",
			services: []*corev1.Service{svc("ns", "web", "10.96.0.5", port("", 80, corev1.ProtocolTCP))},
			want: []corev1.EnvVar{
				{Name: "WEB_SERVICE_HOST", Value: "10.96.0.5"},
				{Name: "WEB_SERVICE_PORT", Value: "80"},
				{Name: "WEB_PORT", Value: "tcp://10.96.0.5:80"},
				{Name: "WEB_PORT_80_TCP", Value: "tcp://10.96.0.5:80"},
				{Name: "WEB_PORT_80_TCP_PROTO", Value: "tcp"},
				{Name: "WEB_PORT_80_TCP_PORT", Value: "80"},
				{Name: "WEB_PORT_80_TCP_ADDR", Value: "10.96.0.5"},
			},
		},
		{
			name:     "ipv6 unnamed tcp port",
			services: []*corev1.Service{svc("ns", "web", "fd00:10:96::5", port("", 80, corev1.ProtocolTCP))},
			want: []corev1.EnvVar{
				{Name: "WEB_SERVICE_HOST", Value: "fd00:10:96::5"},
				{Name: "WEB_SERVICE_PORT", Value: "80"},
				{Name: "WEB_PORT", Value: "tcp://[fd00:10:96::5]:80"},
				{Name: "WEB_PORT_80_TCP", Value: "tcp://[fd00:10:96::5]:80"},
				{Name: "WEB_PORT_80_TCP_PROTO", Value: "tcp"},
				{Name: "WEB_PORT_80_TCP_PORT", Value: "80"},
				{Name: "WEB_PORT_80_TCP_ADDR", Value: "fd00:10:96::5"},
			},
		},
		{
			name: "ipv4 named ports, dashes, default and udp protocol",
			services: []*corev1.Service{svc("ns", "my-dns", "10.96.0.10",
				port("dns-tcp", 53, ""), port("dns", 53, corev1.ProtocolUDP))},
			want: []corev1.EnvVar{
				{Name: "MY_DNS_SERVICE_HOST", Value: "10.96.0.10"},
				{Name: "MY_DNS_SERVICE_PORT", Value: "53"},
				{Name: "MY_DNS_SERVICE_PORT_DNS_TCP", Value: "53"},
				{Name: "MY_DNS_SERVICE_PORT_DNS", Value: "53"},
				{Name: "MY_DNS_PORT", Value: "tcp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_TCP", Value: "tcp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_TCP_PROTO", Value: "tcp"},
				{Name: "MY_DNS_PORT_53_TCP_PORT", Value: "53"},
				{Name: "MY_DNS_PORT_53_TCP_ADDR", Value: "10.96.0.10"},
				{Name: "MY_DNS_PORT_53_UDP", Value: "udp://10.96.0.10:53"},
				{Name: "MY_DNS_PORT_53_UDP_PROTO", Value: "udp"},
				{Name: "MY_DNS_PORT_53_UDP_PORT", Value: "53"},
				{Name: "MY_DNS_PORT_53_UDP_ADDR", Value: "10.96.0.10"},
			},
		},
		{
			name:     "ipv6 first port is udp: short forms follow it",
			services: []*corev1.Service{svc("ns", "s", "fd00::a", port("a", 5353, corev1.ProtocolUDP), port("b", 8080, corev1.ProtocolSCTP))},
			want: []corev1.EnvVar{
				{Name: "S_SERVICE_HOST", Value: "fd00::a"},
				{Name: "S_SERVICE_PORT", Value: "5353"},
				{Name: "S_SERVICE_PORT_A", Value: "5353"},
				{Name: "S_SERVICE_PORT_B", Value: "8080"},
				{Name: "S_PORT", Value: "udp://[fd00::a]:5353"},
				{Name: "S_PORT_5353_UDP", Value: "udp://[fd00::a]:5353"},
				{Name: "S_PORT_5353_UDP_PROTO", Value: "udp"},
				{Name: "S_PORT_5353_UDP_PORT", Value: "5353"},
				{Name: "S_PORT_5353_UDP_ADDR", Value: "fd00::a"},
				{Name: "S_PORT_8080_SCTP", Value: "sctp://[fd00::a]:8080"},
				{Name: "S_PORT_8080_SCTP_PROTO", Value: "sctp"},
				{Name: "S_PORT_8080_SCTP_PORT", Value: "8080"},
				{Name: "S_PORT_8080_SCTP_ADDR", Value: "fd00::a"},
			},
		},
		{
			name: "headless, unallocated, portless and nil services are skipped",
			services: []*corev1.Service{
				svc("ns", "headless", corev1.ClusterIPNone, port("", 80, "")),
				svc("ns", "pending", "", port("", 80, "")),
				svc("ns", "portless", "10.96.0.7"),
				nil,
			},
			want: nil,
		},
		{name: "no services", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := FromServices(tt.services)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromServices (-want +got):\n%s", diff)
			}
		})
	}
}

// cluster is a set of services across namespaces, both families.
func cluster() []*corev1.Service {
	return []*corev1.Service{
		svc("default", "kubernetes", "10.96.0.1", port("https", 443, corev1.ProtocolTCP)),
		svc("default", "other", "10.96.0.2", port("", 8080, "")),
		svc("kube-system", "kube-dns", "10.96.0.10", port("dns", 53, corev1.ProtocolUDP), port("dns-tcp", 53, corev1.ProtocolTCP)),
		svc("kube-system", "kubernetes", "10.96.0.99", port("https", 6443, corev1.ProtocolTCP)),
		svc("app", "zeta", "10.96.3.3", port("http", 80, "")),
		svc("app", "alpha-api", "fd00:10:96::a", port("grpc", 9090, corev1.ProtocolTCP)),
		svc("app", "headless", corev1.ClusterIPNone, port("", 80, "")),
		svc("shadow", "kubernetes", "10.96.4.4", port("https", 8443, corev1.ProtocolTCP)),
		svc("shadow", "db", "10.96.4.5", port("", 5432, "")),
	}
}

func TestServiceMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		namespace string
		links     bool
		master    string
		reverse   bool // feed the services in reverse order
	}{
		{name: "links-off", namespace: "app", links: false},
		{name: "links-on", namespace: "app", links: true},
		{name: "links-on-default-namespace", namespace: "default", links: true},
		{name: "links-off-default-namespace", namespace: "default", links: false},
		{name: "pod-namespace-kubernetes-wins", namespace: "shadow", links: true},
		{name: "pod-namespace-kubernetes-wins", namespace: "shadow", links: true, reverse: true},
		{name: "pod-namespace-kubernetes-ignored-without-links", namespace: "shadow", links: false},
		{name: "master-namespace-kube-system", namespace: "app", links: true, master: "kube-system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			services := cluster()
			if tt.reverse {
				for i, j := 0, len(services)-1; i < j; i, j = i+1, j-1 {
					services[i], services[j] = services[j], services[i]
				}
			}
			master := tt.master
			if master == "" {
				master = "default"
			}
			got := ServiceMap(tt.namespace, tt.links, services, master)
			checkUnique(t, got)
			checkGolden(t, "servicemap-"+tt.name, render(got, nil, nil))
			if tt.master == "" {
				if diff := cmp.Diff(got, ServiceMap(tt.namespace, tt.links, services, "")); diff != "" {
					t.Errorf(`master namespace "" is not "default" (-default +empty):\n%s`, diff)
				}
			}
		})
	}
}

func TestServiceMapCollidingNames(t *testing.T) {
	t.Parallel()
	// Service "a-port-80-tcp"'s <NAME>_PORT is A_PORT_80_TCP_PORT, which
	// service "a" also sets for its port 80. Upstream keeps one of them in
	// its map; here the later service by name wins, in the first position.
	a := svc("ns", "a", "10.0.0.1", port("", 80, ""))
	b := svc("ns", "a-port-80-tcp", "10.0.0.2", port("", 81, ""))
	for _, order := range [][]*corev1.Service{{a, b}, {b, a}} {
		got := ServiceMap("ns", true, order, "default")
		checkUnique(t, got)
		if len(got) != 13 { // 7 + 7 variables, one shared
			t.Errorf("got %d variables, want 13", len(got))
		}
		for i, v := range got {
			if v.Name == "A_PORT_80_TCP_PORT" {
				if v.Value != "tcp://10.0.0.2:81" || i != 5 {
					t.Errorf("A_PORT_80_TCP_PORT at %d = %q, want position 5 value tcp://10.0.0.2:81", i, v.Value)
				}
			}
		}
	}
}
