package dns

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// cluster is the objects most tests answer from: a dual-stack cluster
// with every kind of Service.
func cluster() []runtime.Object {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	db := []discoveryv1.EndpointPort{slicePort("mysql", tcp, 3306)}
	return []runtime.Object{
		namespace("default"), namespace("kube-system"), namespace("testns"),
		service("kube-system", "kube-dns", []string{"10.96.0.10"},
			servicePort("dns", udp, 53), servicePort("dns-tcp", tcp, 53), servicePort("metrics", tcp, 9153)),
		service("default", "kubernetes", []string{"10.96.0.1"}, servicePort("https", tcp, 443)),
		service("testns", "web", []string{"10.96.0.20"}, servicePort("http", tcp, 80)),
		endpointSlice("testns", "web-a1", "web", []discoveryv1.EndpointPort{slicePort("http", tcp, 8080)},
			endpoint("10.244.1.10", "")),
		service("testns", "web6", []string{"fd00:10:96::14"}, servicePort("http", tcp, 80)),
		service("testns", "dual", []string{"10.96.0.12", "fd00:10:96::c"}, servicePort("http", tcp, 80), servicePort("dns", udp, 53)),
		service("testns", "portless", []string{"10.96.0.30"}),
		service("testns", "db", []string{corev1.ClusterIPNone}, servicePort("mysql", tcp, 3306)),
		// Named so that the IPv6 slice sorts after the IPv4 one, as the
		// EndpointSlice controller's generated names need not.
		endpointSlice("testns", "db-abc", "db", db,
			endpoint("10.244.1.5", "db-0"),
			withReady(endpoint("10.244.1.6", "db-1"), nil),
			withReady(endpoint("10.244.1.7", "db-2"), ptr.To(false)),
			endpoint("10.244.2.8", "")),
		endpointSlice("testns", "db-xyz", "db", db,
			endpoint("fd00:10:244:1::5", "db-0"),
			endpoint("fd00:10:244:2::8", ""),
			endpoint("fd00:10:244:3::", "")),
		service("testns", "nobody", []string{corev1.ClusterIPNone}, servicePort("mysql", tcp, 3306)),
		endpointSlice("testns", "nobody-abc", "nobody", db),
		externalName("testns", "ext", "example.com"),
		externalName("testns", "ext-in", "web.testns.svc.cluster.local"),
		externalName("testns", "ext-gone", "gone.testns.svc.cluster.local"),
		externalName("testns", "ext-ip", "192.0.2.1"),
		externalName("testns", "loop-a", "loop-b.testns.svc.cluster.local"),
		externalName("testns", "loop-b", "loop-a.testns.svc.cluster.local"),
	}
}

const (
	soa    = "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 30"
	soaV4  = "in-addr.arpa. 30 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 42 7200 1800 86400 30"
	domain = ".testns.svc.cluster.local."
)

var (
	nxdomain = reply{Rcode: "NXDOMAIN", Authoritative: true, Ns: []string{soa}}
	nodata   = reply{Rcode: "NOERROR", Authoritative: true, Ns: []string{soa}}
	servfail = reply{Rcode: "SERVFAIL"}
)

func answer(rrs ...string) reply {
	return reply{Rcode: "NOERROR", Authoritative: true, Answer: rrs}
}

func (r reply) extra(rrs ...string) reply {
	r.Extra = rrs
	return r
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, cluster()...)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  reply
	}{
		// Services' addresses.
		{"cluster IP", "web" + domain, dns.TypeA, answer("web" + domain + " 30 IN A 10.96.0.20")},
		{"IPv4 service has no AAAA", "web" + domain, dns.TypeAAAA, nodata},
		{"IPv6 cluster IP", "web6" + domain, dns.TypeAAAA, answer("web6" + domain + " 30 IN AAAA fd00:10:96::14")},
		{"IPv6 service has no A", "web6" + domain, dns.TypeA, nodata},
		{"dual-stack A", "dual" + domain, dns.TypeA, answer("dual" + domain + " 30 IN A 10.96.0.12")},
		{"dual-stack AAAA", "dual" + domain, dns.TypeAAAA, answer("dual" + domain + " 30 IN AAAA fd00:10:96::c")},
		{"service without ports", "portless" + domain, dns.TypeA, answer("portless" + domain + " 30 IN A 10.96.0.30")},
		{"headless A: ready endpoints", "db" + domain, dns.TypeA, answer(
			"db"+domain+" 30 IN A 10.244.1.5",
			"db"+domain+" 30 IN A 10.244.1.6",
			"db"+domain+" 30 IN A 10.244.2.8")},
		{"headless AAAA", "db" + domain, dns.TypeAAAA, answer(
			"db"+domain+" 30 IN AAAA fd00:10:244:1::5",
			"db"+domain+" 30 IN AAAA fd00:10:244:2::8",
			"db"+domain+" 30 IN AAAA fd00:10:244:3::")},
		{"headless without endpoints", "nobody" + domain, dns.TypeA, nxdomain},

		// Endpoints' names.
		{"hostname A", "db-0.db" + domain, dns.TypeA, answer("db-0.db" + domain + " 30 IN A 10.244.1.5")},
		{"hostname AAAA", "db-0.db" + domain, dns.TypeAAAA, answer("db-0.db" + domain + " 30 IN AAAA fd00:10:244:1::5")},
		{"dashed IPv4", "10-244-2-8.db" + domain, dns.TypeA, answer("10-244-2-8.db" + domain + " 30 IN A 10.244.2.8")},
		{"dashed IPv6", "fd00-10-244-2--8.db" + domain, dns.TypeAAAA, answer("fd00-10-244-2--8.db" + domain + " 30 IN AAAA fd00:10:244:2::8")},
		{"dashed IPv6 ending in ::", "fd00-10-244-3--0.db" + domain, dns.TypeAAAA, answer("fd00-10-244-3--0.db" + domain + " 30 IN AAAA fd00:10:244:3::")},
		{"hostname hides the dashed name", "10-244-1-5.db" + domain, dns.TypeA, nxdomain},
		{"not-ready endpoint", "db-2.db" + domain, dns.TypeA, nxdomain},
		{"endpoint of a ClusterIP service", "10-244-1-10.web" + domain, dns.TypeA, answer("10-244-1-10.web" + domain + " 30 IN A 10.244.1.10")},
		{"endpoint has no AAAA", "db-1.db" + domain, dns.TypeAAAA, nodata},

		// Pods, "pods insecure".
		{"pod IPv4", "10-244-1-5.testns.pod.cluster.local.", dns.TypeA, answer("10-244-1-5.testns.pod.cluster.local. 30 IN A 10.244.1.5")},
		{"pod IPv6", "fd00-10-244-1--5.testns.pod.cluster.local.", dns.TypeAAAA, answer("fd00-10-244-1--5.testns.pod.cluster.local. 30 IN AAAA fd00:10:244:1::5")},
		{"pod IPv4 has no AAAA", "10-244-1-5.testns.pod.cluster.local.", dns.TypeAAAA, nodata},
		{"pod IPv6 has no A", "fd00-10-244-1--5.testns.pod.cluster.local.", dns.TypeA, nodata},
		{"pod name not an address", "web-0.testns.pod.cluster.local.", dns.TypeA, nxdomain},
		{"pod octet out of range", "10-244-1-500.testns.pod.cluster.local.", dns.TypeA, nxdomain},
		{"pod octet with leading zero", "10-244-1-05.testns.pod.cluster.local.", dns.TypeA, nxdomain},
		{"pod in a missing namespace", "10-244-1-5.nope.pod.cluster.local.", dns.TypeA, nxdomain},
		{"pod label under a pod name", "x.10-244-1-5.testns.pod.cluster.local.", dns.TypeA, answer("x.10-244-1-5.testns.pod.cluster.local. 30 IN A 10.244.1.5")},
		{"pod namespace", "testns.pod.cluster.local.", dns.TypeA, nodata},

		// ExternalName.
		{"external CNAME", "ext" + domain, dns.TypeCNAME, answer("ext" + domain + " 30 IN CNAME example.com.")},
		{"external A: the CNAME, not chased outside", "ext" + domain, dns.TypeA, answer("ext" + domain + " 30 IN CNAME example.com.")},
		{"external AAAA", "ext" + domain, dns.TypeAAAA, answer("ext" + domain + " 30 IN CNAME example.com.")},
		{"external to a service: chased", "ext-in" + domain, dns.TypeA, answer(
			"ext-in"+domain+" 30 IN CNAME web.testns.svc.cluster.local.",
			"web"+domain+" 30 IN A 10.96.0.20")},
		{"external to a service, AAAA: nothing to chase to", "ext-in" + domain, dns.TypeAAAA, nodata},
		{"external to nothing in the zone", "ext-gone" + domain, dns.TypeA, nodata},
		{"external loop", "loop-a" + domain, dns.TypeA, nodata},
		{"external IP is no name", "ext-ip" + domain, dns.TypeA, nxdomain},
		{"external has no endpoints", "x.ext" + domain, dns.TypeA, nxdomain},
		{"cluster IP has no CNAME", "web" + domain, dns.TypeCNAME, nodata},

		// SRV.
		{"SRV of a port", "_http._tcp.web" + domain, dns.TypeSRV, answer(
			"_http._tcp.web" + domain + " 30 IN SRV 0 100 80 web" + domain).extra(
			"web" + domain + " 30 IN A 10.96.0.20")},
		{"SRV of an IPv6 service", "_http._tcp.web6" + domain, dns.TypeSRV, answer(
			"_http._tcp.web6" + domain + " 30 IN SRV 0 100 80 web6" + domain).extra(
			"web6" + domain + " 30 IN AAAA fd00:10:96::14")},
		{"SRV dual-stack: weight counts both addresses", "_http._tcp.dual" + domain, dns.TypeSRV, answer(
			"_http._tcp.dual"+domain+" 30 IN SRV 0 50 80 dual"+domain).extra(
			"dual"+domain+" 30 IN A 10.96.0.12",
			"dual"+domain+" 30 IN AAAA fd00:10:96::c")},
		{"SRV of every port", "dual" + domain, dns.TypeSRV, answer(
			"dual"+domain+" 30 IN SRV 0 25 80 dual"+domain,
			"dual"+domain+" 30 IN SRV 0 25 53 dual"+domain).extra(
			"dual"+domain+" 30 IN A 10.96.0.12",
			"dual"+domain+" 30 IN AAAA fd00:10:96::c")},
		{"SRV without underscores", "http.tcp.web" + domain, dns.TypeSRV, answer(
			"http.tcp.web" + domain + " 30 IN SRV 0 100 80 web" + domain).extra(
			"web" + domain + " 30 IN A 10.96.0.20")},
		{"SRV headless: one per endpoint name", "_mysql._tcp.db" + domain, dns.TypeSRV, answer(
			"_mysql._tcp.db"+domain+" 30 IN SRV 0 16 3306 db-0.db"+domain,
			"_mysql._tcp.db"+domain+" 30 IN SRV 0 16 3306 db-1.db"+domain,
			"_mysql._tcp.db"+domain+" 30 IN SRV 0 16 3306 10-244-2-8.db"+domain,
			"_mysql._tcp.db"+domain+" 30 IN SRV 0 16 3306 fd00-10-244-2--8.db"+domain,
			"_mysql._tcp.db"+domain+" 30 IN SRV 0 16 3306 fd00-10-244-3--0.db"+domain).extra(
			"db-0.db"+domain+" 30 IN A 10.244.1.5",
			"db-1.db"+domain+" 30 IN A 10.244.1.6",
			"10-244-2-8.db"+domain+" 30 IN A 10.244.2.8",
			"db-0.db"+domain+" 30 IN AAAA fd00:10:244:1::5",
			"fd00-10-244-2--8.db"+domain+" 30 IN AAAA fd00:10:244:2::8",
			"fd00-10-244-3--0.db"+domain+" 30 IN AAAA fd00:10:244:3::")},
		{"SRV of an endpoint", "db-0.db" + domain, dns.TypeSRV, answer(
			"db-0.db"+domain+" 30 IN SRV 0 50 3306 db-0.db"+domain).extra(
			"db-0.db"+domain+" 30 IN A 10.244.1.5",
			"db-0.db"+domain+" 30 IN AAAA fd00:10:244:1::5")},
		{"SRV of an endpoint: its slice's port, not the service's", "10-244-1-10.web" + domain, dns.TypeSRV, answer(
			"10-244-1-10.web" + domain + " 30 IN SRV 0 100 8080 10-244-1-10.web" + domain).extra(
			"10-244-1-10.web" + domain + " 30 IN A 10.244.1.10")},
		{"SRV of a pod", "10-244-1-5.testns.pod.cluster.local.", dns.TypeSRV, answer(
			"10-244-1-5.testns.pod.cluster.local. 30 IN SRV 0 100 0 10-244-1-5.testns.pod.cluster.local.").extra(
			"10-244-1-5.testns.pod.cluster.local. 30 IN A 10.244.1.5")},
		{"SRV of a missing port", "_nope._tcp.web" + domain, dns.TypeSRV, nxdomain},
		{"SRV of the wrong protocol", "_http._udp.web" + domain, dns.TypeSRV, nxdomain},
		{"A of a port name", "_http._tcp.web" + domain, dns.TypeA, answer("_http._tcp.web" + domain + " 30 IN A 10.96.0.20")},
		{"SRV of a service without ports", "portless" + domain, dns.TypeSRV, nodata},
		{"SRV of an ExternalName", "ext" + domain, dns.TypeSRV, nodata},

		// Reverse.
		{"PTR of a cluster IP", reverse(t, "10.96.0.20"), dns.TypePTR, answer(reverse(t, "10.96.0.20") + " 30 IN PTR web" + domain)},
		{"PTR of an IPv6 cluster IP", reverse(t, "fd00:10:96::c"), dns.TypePTR, answer(reverse(t, "fd00:10:96::c") + " 30 IN PTR dual" + domain)},
		{"PTR of a hostname", reverse(t, "10.244.1.5"), dns.TypePTR, answer(reverse(t, "10.244.1.5") + " 30 IN PTR db-0.db" + domain)},
		{"PTR of an endpoint without hostname", reverse(t, "10.244.2.8"), dns.TypePTR, answer(reverse(t, "10.244.2.8") + " 30 IN PTR 10-244-2-8.db" + domain)},
		{"PTR of an IPv6 endpoint", reverse(t, "fd00:10:244:2::8"), dns.TypePTR, answer(reverse(t, "fd00:10:244:2::8") + " 30 IN PTR fd00-10-244-2--8.db" + domain)},
		{"PTR of a ClusterIP service's endpoint", reverse(t, "10.244.1.10"), dns.TypePTR, answer(reverse(t, "10.244.1.10") + " 30 IN PTR 10-244-1-10.web" + domain)},
		{"PTR of a not-ready endpoint: forwarded", reverse(t, "10.244.1.7"), dns.TypePTR, servfail},
		{"PTR of an unknown IPv4 address: forwarded", reverse(t, "192.0.2.1"), dns.TypePTR, servfail},
		{"PTR of an unknown IPv6 address: forwarded", reverse(t, "2001:db8::1"), dns.TypePTR, servfail},
		{"partial reverse name: forwarded", "96.10.in-addr.arpa.", dns.TypePTR, servfail},
		{"A of a reverse name: forwarded", reverse(t, "10.96.0.20"), dns.TypeA, servfail},
		{"reverse apex", "in-addr.arpa.", dns.TypePTR, reply{Rcode: "NOERROR", Authoritative: true, Ns: []string{soaV4}}},
		{"PTR of a service name", "web" + domain, dns.TypePTR, nodata},

		// What does not exist, and what exists empty.
		{"missing service", "nope" + domain, dns.TypeA, nxdomain},
		{"missing namespace", "web.nope.svc.cluster.local.", dns.TypeA, nxdomain},
		{"neither svc nor pod", "web.testns.foo.cluster.local.", dns.TypeA, nxdomain},
		{"too long", "a.b.c.web" + domain, dns.TypeA, nxdomain},
		{"namespace", "testns.svc.cluster.local.", dns.TypeA, nodata},
		{"namespace that does not exist", "nope.svc.cluster.local.", dns.TypeA, nxdomain},
		{"svc", "svc.cluster.local.", dns.TypeA, nodata},
		{"pod", "pod.cluster.local.", dns.TypeAAAA, nodata},
		{"apex A", "cluster.local.", dns.TypeA, nodata},
		{"MX", "web" + domain, dns.TypeMX, nodata},
		{"ANY", "web" + domain, dns.TypeANY, nodata},
		{"ANY of nothing", "nope" + domain, dns.TypeANY, nxdomain},
		{"HINFO", "db-0.db" + domain, dns.TypeHINFO, nodata},

		// The zone's own records.
		{"SOA", "cluster.local.", dns.TypeSOA, answer(soa)},
		{"SOA below the apex", "web" + domain, dns.TypeSOA, nodata},
		{"SOA of nothing: still NODATA", "nope" + domain, dns.TypeSOA, nodata},
		{"NS", "cluster.local.", dns.TypeNS, answer("cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local.").extra(
			"kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10")},
		{"NS below the apex", "svc.cluster.local.", dns.TypeNS, nodata},
		{"NS of nothing", "nope.cluster.local.", dns.TypeNS, nxdomain},
		{"nameserver A", "ns.dns.cluster.local.", dns.TypeA, answer("ns.dns.cluster.local. 30 IN A 10.96.0.10")},
		{"nameserver AAAA", "ns.dns.cluster.local.", dns.TypeAAAA, nodata},
		{"reverse zone SOA", "in-addr.arpa.", dns.TypeSOA, answer(soaV4)},
		{"schema version", "dns-version.cluster.local.", dns.TypeTXT, answer(`dns-version.cluster.local. 28800 IN TXT "1.1.0"`)},
		{"TXT of a service", "web" + domain, dns.TypeTXT, nodata},
		{"TXT of a namespace: NXDOMAIN", "testns.svc.cluster.local.", dns.TypeTXT, nxdomain},
		{"AXFR", "cluster.local.", dns.TypeAXFR, reply{Rcode: "REFUSED"}},

		// Outside the cluster.
		{"forwarded", "example.com.", dns.TypeA, servfail},
		{"root", ".", dns.TypeNS, servfail},
		{"a zone's sibling", "cluster.locals.", dns.TypeA, servfail},

		// The client's spelling.
		{"mixed case", "Web.TestNS.Svc.Cluster.Local.", dns.TypeA, answer("Web.TestNS.Svc.Cluster.Local. 30 IN A 10.96.0.20")},
		{"mixed case NXDOMAIN", "nope.testns.svc.CLUSTER.local.", dns.TypeA, reply{Rcode: "NXDOMAIN", Authoritative: true, Ns: []string{
			"CLUSTER.local. 30 IN SOA ns.dns.CLUSTER.local. hostmaster.CLUSTER.local. 42 7200 1800 86400 30"}}},
		{"mixed case SRV target", "_HTTP._Tcp.WEB.testns.svc.Cluster.Local.", dns.TypeSRV, answer(
			"_HTTP._Tcp.WEB.testns.svc.Cluster.Local. 30 IN SRV 0 100 80 web.testns.svc.Cluster.Local.").extra(
			"web.testns.svc.Cluster.Local. 30 IN A 10.96.0.20")},
		{"mixed case endpoint", "DB-0.db" + domain, dns.TypeA, answer("DB-0.db" + domain + " 30 IN A 10.244.1.5")},
		{"mixed case apex NS: compared as written", "Cluster.Local.", dns.TypeNS, reply{Rcode: "NOERROR", Authoritative: true, Ns: []string{
			"Cluster.Local. 30 IN SOA ns.dns.Cluster.Local. hostmaster.Cluster.Local. 42 7200 1800 86400 30"}}},
		{"not fully qualified", "web.testns.svc.cluster.local", dns.TypeA, answer("web" + domain + " 30 IN A 10.96.0.20")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := question(tt.qname, tt.qtype)
			m := s.Answer(q)
			if m.Id != q.Id || !m.Response || !m.RecursionDesired || m.RecursionAvailable {
				t.Errorf("header: id %d (query %d), qr %v, rd %v, ra %v; want the query's id, qr, rd and no ra", m.Id, q.Id, m.Response, m.RecursionDesired, m.RecursionAvailable)
			}
			if diff := cmp.Diff(q.Question, m.Question); diff != "" {
				t.Errorf("question (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, replyOf(m)); diff != "" {
				t.Errorf("Answer(%s %s) (-want +got):\n%s", tt.qname, dns.TypeToString[tt.qtype], diff)
			}
			if _, err := q.Pack(); err == nil {
				if _, err := m.Pack(); err != nil {
					t.Errorf("the query packs, its reply does not: %v", err)
				}
			}
		})
	}
}
