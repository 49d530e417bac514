package dns

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// TestAnswerMessages covers what is checked of a message before its
// question is looked at, and the OPT record of replies.
func TestAnswerMessages(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, cluster()...)
	web := "web" + domain
	withEDNS := func(m *dns.Msg, size uint16, do bool, opts ...dns.EDNS0) *dns.Msg {
		m.SetEdns0(size, do)
		m.IsEdns0().Option = opts
		return m
	}
	cookie := &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}
	subnet := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: []byte{192, 0, 2, 0}}
	tests := []struct {
		name      string
		query     func() *dns.Msg
		want      reply
		opcode    int
		questions int
	}{
		{
			name:      "no question",
			query:     func() *dns.Msg { m := question(web, dns.TypeA); m.Question = nil; return m },
			want:      reply{Rcode: "FORMERR"},
			opcode:    dns.OpcodeQuery,
			questions: 0,
		},
		{
			name: "two questions",
			query: func() *dns.Msg {
				m := question(web, dns.TypeA)
				m.Question = append(m.Question, m.Question[0])
				return m
			},
			want:      reply{Rcode: "FORMERR"},
			opcode:    dns.OpcodeQuery,
			questions: 2,
		},
		{
			name: "records in the authority section",
			query: func() *dns.Msg {
				m := question(web, dns.TypeA)
				m.Ns = []dns.RR{s.soa("cluster.local."), s.soa("cluster.local.")}
				return m
			},
			want:      reply{Rcode: "FORMERR"},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name:      "update",
			query:     func() *dns.Msg { m := question(web, dns.TypeA); m.Opcode = dns.OpcodeUpdate; return m },
			want:      reply{Rcode: "NOTIMP"},
			opcode:    dns.OpcodeUpdate,
			questions: 1,
		},
		{
			name:      "notify",
			query:     func() *dns.Msg { m := question("cluster.local.", dns.TypeSOA); m.Opcode = dns.OpcodeNotify; return m },
			want:      reply{Rcode: "NOTIMP"},
			opcode:    dns.OpcodeNotify,
			questions: 1,
		},
		{
			name:      "invalid name",
			query:     func() *dns.Msg { return question("web..testns.svc.cluster.local.", dns.TypeA) },
			want:      reply{Rcode: "FORMERR"},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name: "chaos class",
			query: func() *dns.Msg {
				m := question("version.bind.", dns.TypeTXT)
				m.Question[0].Qclass = dns.ClassCHAOS
				return m
			},
			want:      reply{Rcode: "REFUSED"},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name: "EDNS version 1",
			query: func() *dns.Msg {
				m := withEDNS(question(web, dns.TypeA), 1232, false)
				m.IsEdns0().SetVersion(1)
				return m
			},
			// miekg/dns names rcode 16 BADSIG, its meaning in TSIG.
			want:      reply{Rcode: dns.RcodeToString[dns.RcodeBadVers], Extra: []string{";; OPT PSEUDOSECTION: ; EDNS: version 0; flags:; udp: 0"}},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name:      "EDNS echoed with the options CoreDNS knows",
			query:     func() *dns.Msg { return withEDNS(question(web, dns.TypeA), 1232, true, cookie, subnet) },
			want:      answer(web + " 30 IN A 10.96.0.20").extra(";; OPT PSEUDOSECTION: ; EDNS: version 0; flags: do; udp: 1232 ; COOKIE: 0102030405060708"),
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name:  "EDNS on NXDOMAIN",
			query: func() *dns.Msg { return withEDNS(question("nope"+domain, dns.TypeA), 4096, false) },
			want: reply{Rcode: "NXDOMAIN", Authoritative: true, Ns: []string{soa},
				Extra: []string{";; OPT PSEUDOSECTION: ; EDNS: version 0; flags:; udp: 4096"}},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
		{
			name:      "EDNS on SERVFAIL",
			query:     func() *dns.Msg { return withEDNS(question("example.com.", dns.TypeA), 1232, false) },
			want:      reply{Rcode: "SERVFAIL", Extra: []string{";; OPT PSEUDOSECTION: ; EDNS: version 0; flags:; udp: 1232"}},
			opcode:    dns.OpcodeQuery,
			questions: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := tt.query()
			q.RecursionDesired = true
			m := s.Answer(q)
			if m.Id != q.Id || !m.Response || m.Opcode != tt.opcode || len(m.Question) != tt.questions || !m.RecursionDesired {
				t.Errorf("header: id %d (query %d), qr %v, opcode %d, %d questions, rd %v; want the query's id, qr, opcode %d, %d questions, rd",
					m.Id, q.Id, m.Response, m.Opcode, len(m.Question), m.RecursionDesired, tt.opcode, tt.questions)
			}
			if diff := cmp.Diff(tt.want, replyOf(m)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		if m := s.Answer(nil); m == nil || m.Rcode != dns.RcodeFormatError {
			t.Errorf("Answer(nil) = %v, want FORMERR", m)
		}
	})
}

// TestNamespaces checks that without a namespace lister every namespace
// exists, and with one only those it lists.
func TestNamespaces(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, namespace("testns"))
	unchecked := newTestServer(t)
	unchecked.namespaces = nil
	for _, tt := range []struct {
		name  string
		s     *Server
		qname string
		rcode int
	}{
		{"listed", s, "testns.svc.cluster.local.", dns.RcodeSuccess},
		{"not listed", s, "other.svc.cluster.local.", dns.RcodeNameError},
		{"pod in a listed namespace", s, "10-244-0-5.testns.pod.cluster.local.", dns.RcodeSuccess},
		{"pod in a namespace not listed", s, "10-244-0-5.other.pod.cluster.local.", dns.RcodeNameError},
		{"no lister", unchecked, "other.svc.cluster.local.", dns.RcodeSuccess},
		{"pod without lister", unchecked, "fd00-10-244--5.other.pod.cluster.local.", dns.RcodeSuccess},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if m := tt.s.Answer(question(tt.qname, dns.TypeAAAA)); m.Rcode != tt.rcode {
				t.Errorf("%s: %s, want %s", tt.qname, dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
		})
	}
}

// TestEventHandler checks that the SOA serial moves on with every change,
// and not with a resync.
func TestEventHandler(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	h := s.EventHandler()
	svc := service("testns", "web", []string{"10.96.0.20"})
	svc.ResourceVersion = "7"
	now := func() uint32 { return uint32(time.Now().Unix()) }
	changes := []struct {
		name   string
		change func()
		moves  bool
	}{
		{"add", func() { h.OnAdd(svc, false) }, true},
		{"resync", func() { h.OnUpdate(svc, svc) }, false},
		{"update", func() { next := svc.DeepCopy(); next.ResourceVersion = "8"; h.OnUpdate(svc, next) }, true},
		{"delete", func() { h.OnDelete(svc) }, true},
	}
	for _, c := range changes {
		s.serial.Store(testSerial)
		before := now()
		c.change()
		got := s.serial.Load()
		if moved := got != testSerial; moved != c.moves {
			t.Errorf("%s: serial %d, moved %v, want moved %v", c.name, got, moved, c.moves)
		}
		if c.moves && (got < before || got > now()) {
			t.Errorf("%s: serial %d, want the current Unix time", c.name, got)
		}
	}
}
