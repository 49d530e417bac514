package dns

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// FuzzAnswer feeds arbitrary names and types to a server of the test
// cluster: it must never panic, and always reply to the query it was
// given, with a message that packs whenever the query does.
func FuzzAnswer(f *testing.F) {
	for _, seed := range []struct {
		name  string
		qtype uint16
	}{
		{"web.testns.svc.cluster.local.", dns.TypeA},
		{"_mysql._tcp.db.testns.svc.cluster.local.", dns.TypeSRV},
		{"fd00-10-244-1--5.testns.pod.cluster.local.", dns.TypeAAAA},
		{"--ffff-a00-1.testns.pod.cluster.local.", dns.TypeA},
		{"c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR},
		{"x.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR},
		{"20.0.96.10.in-addr.arpa.", dns.TypePTR},
		{"ext-in.testns.svc.cluster.local.", dns.TypeA},
		{"loop-a.testns.svc.cluster.local.", dns.TypeAAAA},
		{"ns.dns.cluster.local.", dns.TypeA},
		{"dns-version.in-addr.arpa.", dns.TypeTXT},
		{"in-addr.arpa.", dns.TypeNS},
		{`a\.b.testns.svc.cluster.local.`, dns.TypeA},
		{`\000.testns.pod.cluster.local.`, dns.TypeA},
		{"CLUSTER.LOCAL.", dns.TypeSOA},
		{"example.com.", dns.TypeANY},
		{".", dns.TypeNS},
		{"", dns.TypeA},
		{"a..b.", dns.TypeA},
	} {
		f.Add(seed.name, seed.qtype, uint16(1234))
	}
	s := newTestServer(f, cluster()...)
	f.Fuzz(func(t *testing.T, name string, qtype, id uint16) {
		q := question(name, qtype)
		q.Id = id
		m := s.Answer(q)
		if m == nil {
			t.Fatal("no reply")
		}
		if m.Id != id || !m.Response {
			t.Errorf("reply id %d, qr %v; want id %d, qr", m.Id, m.Response, id)
		}
		if diff := cmp.Diff(q.Question, m.Question); diff != "" {
			t.Errorf("question (-want +got):\n%s", diff)
		}
		if _, err := q.Pack(); err != nil {
			return
		}
		if _, err := m.Pack(); err != nil {
			t.Errorf("%q %s: the query packs, its reply does not: %v\n%v", name, dns.TypeToString[qtype], err, m)
		}
		if m.Authoritative && m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
			t.Errorf("%q: authoritative %s", name, dns.RcodeToString[m.Rcode])
		}
		if m.Authoritative && len(m.Answer) == 0 && len(m.Ns) != 1 {
			t.Errorf("%q: a negative answer without the SOA:\n%v", name, m)
		}
	})
}

// FuzzSplitName checks splitName against miekg/dns, which puts names on
// the wire: a name splits exactly when it packs, into the labels packing
// writes.
func FuzzSplitName(f *testing.F) {
	for _, seed := range []string{
		"", ".", "a", "a.", "A.b.", "a..b", ".a", `a\.b.c`, `\065\066.`, `a\`, `a\\.`, `\999.`,
		"0123456789012345678901234567890123456789012345678901234567890123.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		name = dns.Fqdn(name)
		if rest := strings.TrimRight(strings.TrimSuffix(name, "."), `\`); len(rest) < len(name)-1 && rest != "" && rest[len(rest)-1] >= 0x80 {
			t.Skip() // miekg/dns's IsFqdn miscounts the backslashes after a multi-byte rune
		}
		labels, ok := splitName(name)
		wire := make([]byte, 256)
		n, err := dns.PackDomainName(name, wire, 0, nil, false)
		if packs := err == nil; ok != packs {
			t.Fatalf("splitName(%q) ok %v; PackDomainName: %v", name, ok, err)
		}
		if !ok {
			return
		}
		var want []string
		for off := 0; wire[off] != 0 && off < n; off += 1 + int(wire[off]) {
			label := bytes.Clone(wire[off+1 : off+1+int(wire[off])])
			for i, c := range label {
				if 'A' <= c && c <= 'Z' {
					label[i] = c + 'a' - 'A'
				}
			}
			want = append(want, string(label))
		}
		var got []string
		for _, l := range labels {
			got = append(got, decode(l))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("splitName(%q) (-want +got):\n%s", name, diff)
		}
	})
}

// decode writes a label's escapes as the octets they stand for (\DDD
// wrapping around past 255, as miekg/dns packs it), lower-case.
func decode(label string) string {
	var b []byte
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c == '\\' {
			if isDDD(label[i+1:]) {
				v, _ := strconv.Atoi(label[i+1 : i+4])
				c = byte(v) // wraps around, as PackDomainName does
				i += 3
			} else {
				i++
				c = label[i]
			}
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
