package dns

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// serve runs s on a free loopback port until the test ends.
func serve(tb testing.TB, s *Server) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	addr, err := s.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return addr.String()
}

// bigCluster adds a headless Service of n endpoints to the cluster: its A
// reply does not fit 512 octets.
func bigCluster(n int) []runtime.Object {
	var eps []discoveryv1.Endpoint
	for i := range n {
		eps = append(eps, endpoint(fmt.Sprintf("10.244.3.%d", i+1), ""))
	}
	return append(cluster(),
		service("testns", "big", []string{corev1.ClusterIPNone}),
		endpointSlice("testns", "big-abc", "big", nil, eps...))
}

func TestListenAndServe(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, bigCluster(60)...)
	addr := serve(t, s)
	tests := []struct {
		name    string
		net     string
		query   *dns.Msg
		want    reply
		answers int // when want.Answer is left out
	}{
		{name: "UDP", net: "udp", query: question("dual"+domain, dns.TypeAAAA), want: answer("dual" + domain + " 30 IN AAAA fd00:10:96::c")},
		{name: "TCP", net: "tcp", query: question("_http._tcp.web"+domain, dns.TypeSRV), want: answer(
			"_http._tcp.web" + domain + " 30 IN SRV 0 100 80 web" + domain).extra("web" + domain + " 30 IN A 10.96.0.20")},
		{name: "UDP NXDOMAIN", net: "udp", query: question("nope"+domain, dns.TypeA), want: nxdomain},
		{name: "UDP forwarded", net: "udp", query: question("example.com.", dns.TypeA), want: servfail},
		{name: "UDP truncated to 512 octets", net: "udp", query: question("big"+domain, dns.TypeA),
			want: reply{Rcode: "NOERROR", Authoritative: true, Truncated: true}, answers: 29},
		{name: "UDP with a larger EDNS buffer", net: "udp", query: new(dns.Msg).SetQuestion("big"+domain, dns.TypeA).SetEdns0(4096, false),
			want: reply{Rcode: "NOERROR", Authoritative: true, Extra: []string{";; OPT PSEUDOSECTION: ; EDNS: version 0; flags:; udp: 4096"}}, answers: 60},
		{name: "TCP is not truncated", net: "tcp", query: question("big"+domain, dns.TypeA),
			want: reply{Rcode: "NOERROR", Authoritative: true}, answers: 60},
		{name: "UDP NOTIMP from miekg/dns", net: "udp", query: func() *dns.Msg {
			m := question("web"+domain, dns.TypeA)
			m.Opcode = dns.OpcodeStatus
			return m
		}(), want: reply{Rcode: "NOTIMP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &dns.Client{Net: tt.net, Timeout: 5 * time.Second, UDPSize: 65535}
			m, _, err := c.Exchange(tt.query, addr)
			if err != nil {
				t.Fatal(err)
			}
			if m.Id != tt.query.Id {
				t.Errorf("id %d, want %d", m.Id, tt.query.Id)
			}
			got := replyOf(m)
			if tt.answers > 0 {
				if len(got.Answer) != tt.answers {
					t.Errorf("%d answers, want %d", len(got.Answer), tt.answers)
				}
				got.Answer = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestListenAndServeStops checks that both listeners close when the
// context ends.
func TestListenAndServeStops(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, cluster()...)
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := s.ListenAndServe(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr.String())
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still listening on TCP after the context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The UDP port is free again once its server stopped.
	for {
		pc, err := net.ListenPacket("udp", addr.String())
		if err == nil {
			pc.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("UDP port still bound after the context ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	if _, err := s.ListenAndServe(context.Background(), "127.0.0.1"); err == nil {
		t.Error("ListenAndServe without a port: no error")
	}
	addr := serve(t, s)
	if _, err := s.ListenAndServe(context.Background(), addr); err == nil {
		t.Errorf("ListenAndServe on %s, which is taken: no error", addr)
	}
}

// benchQueries are the queries a pod's resolver makes most: a Service's A
// and AAAA (the first through its search path), an SRV and a PTR.
var benchQueries = []struct {
	name  string
	qtype uint16
}{
	{"web" + domain, dns.TypeA},
	{"web" + domain, dns.TypeAAAA},
	{"web.testns.svc.cluster.local.testns.svc.cluster.local.", dns.TypeA},
	{"db" + domain, dns.TypeA},
	{"_mysql._tcp.db" + domain, dns.TypeSRV},
	{"20.0.96.10.in-addr.arpa.", dns.TypePTR},
}

func BenchmarkAnswer(b *testing.B) {
	s := newTestServer(b, cluster()...)
	qs := make([]*dns.Msg, len(benchQueries))
	for i, q := range benchQueries {
		qs[i] = question(q.name, q.qtype)
	}
	b.ReportAllocs()
	n := 0
	for ; b.Loop(); n++ {
		if m := s.Answer(qs[n%len(qs)]); m.Rcode == dns.RcodeServerFailure {
			b.Fatalf("SERVFAIL for %v", qs[n%len(qs)].Question[0])
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
}

func BenchmarkServeUDP(b *testing.B) {
	s := newTestServer(b, cluster()...)
	addr := serve(b, s)
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	conn, err := c.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	qs := make([]*dns.Msg, len(benchQueries))
	for i, q := range benchQueries {
		qs[i] = question(q.name, q.qtype)
	}
	b.ReportAllocs()
	n := 0
	for ; b.Loop(); n++ {
		m, _, err := c.ExchangeWithConn(qs[n%len(qs)], conn)
		if err != nil {
			b.Fatal(err)
		}
		if m.Rcode == dns.RcodeServerFailure {
			b.Fatalf("SERVFAIL for %v", qs[n%len(qs)].Question[0])
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
}
