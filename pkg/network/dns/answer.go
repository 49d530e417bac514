package dns

import (
	"math"
	"net/netip"

	"github.com/miekg/dns"
)

// ttl is the TTL of every record, kubeadm's "ttl 30"; it is also the SOA's
// minimum, the time a resolver may remember that a name does not exist.
const ttl = 30

// query is one question to the kubernetes plugin, in one of its zones.
type query struct {
	// name is the name asked for, fully qualified, as the client spelled
	// it: the owner name of the answers.
	name string
	// labels are its labels left of the zone, lower-cased.
	labels []string
	// zone is the zone it is in, as the client spelled it: CoreDNS writes
	// it so in the names it makes (SOA, SRV targets).
	zone  string
	qtype uint16
	// reverse is set in in-addr.arpa. and ip6.arpa., where a name that
	// does not exist is forwarded instead ("fallthrough").
	reverse bool
}

// Answer returns the reply to one query message (never nil), as CoreDNS
// with kubeadm's Corefile sends it over TCP; ListenAndServe also cuts
// replies over UDP to the client's size. Messages miekg/dns's server would
// reject get its FORMERR (not one question, or a section too long for a
// query) or NOTIMP (an opcode other than QUERY) instead.
func (s *Server) Answer(q *dns.Msg) *dns.Msg {
	if q == nil {
		m := new(dns.Msg)
		m.Response, m.Rcode = true, dns.RcodeFormatError
		return m
	}
	if q.Opcode != dns.OpcodeQuery {
		return rejected(q, dns.RcodeNotImplemented)
	}
	if len(q.Question) != 1 || len(q.Answer) > 1 || len(q.Ns) > 1 || len(q.Extra) > 2 {
		return rejected(q, dns.RcodeFormatError)
	}
	question := q.Question[0]
	if question.Qclass != dns.ClassINET {
		return finish(q, failed(q, dns.RcodeRefused))
	}
	if o := q.IsEdns0(); o != nil && o.Version() != 0 {
		return badVersion(q)
	}
	name := dns.Fqdn(question.Name)
	labels, ok := splitName(name)
	if !ok {
		return rejected(q, dns.RcodeFormatError)
	}
	k, ok := s.inZone(name, labels, question.Qtype)
	if !ok {
		// The rest of the world is forward's, which has no upstream here:
		// CoreDNS answers so when none of its upstreams answer.
		return finish(q, failed(q, dns.RcodeServerFailure))
	}
	return finish(q, s.serve(q, k))
}

// inZone makes the query for a name (with its labels) in the longest of
// the plugin's zones that holds it, if any does.
func (s *Server) inZone(name string, labels []string, qtype uint16) (query, bool) {
	best, size := -1, 0
	for i, z := range s.zoneLabels {
		if len(z) <= len(labels) && len(s.zones[i]) > size && equalLabels(labels[len(labels)-len(z):], z) {
			best, size = i, len(s.zones[i])
		}
	}
	if best < 0 {
		return query{}, false
	}
	n := len(s.zoneLabels[best])
	return query{
		name:    name,
		labels:  labels[:len(labels)-n],
		zone:    name[len(name)-size:],
		qtype:   qtype,
		reverse: best > 0,
	}, true
}

func equalLabels(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// serve answers k as CoreDNS's kubernetes plugin does (its handler.go).
func (s *Server) serve(q *dns.Msg, k query) *dns.Msg {
	var answer, extra []dns.RR
	exists := true
	switch k.qtype {
	case dns.TypeA, dns.TypeAAAA:
		answer, exists = s.addresses(k, nil)
	case dns.TypeTXT:
		answer, exists = s.txt(k)
	case dns.TypeCNAME:
		answer, exists = s.cname(k)
	case dns.TypePTR:
		answer, exists = s.ptr(k)
	case dns.TypeSRV:
		answer, extra, exists = s.srv(k)
	case dns.TypeSOA:
		if len(k.labels) == 0 {
			answer = []dns.RR{s.soa(k.zone)}
		}
	case dns.TypeAXFR, dns.TypeIXFR:
		return failed(q, dns.RcodeRefused)
	case dns.TypeNS:
		// CoreDNS compares the lower-cased name with the zone as written.
		if lower(k.name) == k.zone {
			answer, extra = s.ns(k)
			break
		}
		fallthrough
	default:
		// No records of other types (MX, ANY, ...): NODATA if the name
		// exists, as an A query finds out.
		_, exists = s.targets(k, dns.TypeA)
	}
	if !exists {
		if k.reverse {
			return failed(q, dns.RcodeServerFailure) // "fallthrough" to forward
		}
		return s.negative(q, k, dns.RcodeNameError)
	}
	if len(answer) == 0 {
		return s.negative(q, k, dns.RcodeSuccess)
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	m.Answer = answer
	m.Extra = extra
	return m
}

// addresses are the A or AAAA records of k, following an ExternalName's
// CNAME within the zone (chain holds the CNAMEs followed so far).
func (s *Server) addresses(k query, chain []dns.RR) ([]dns.RR, bool) {
	ts, ok := s.targets(k, k.qtype)
	if !ok {
		return nil, false
	}
	var rrs []dns.RR
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if !t.addr.IsValid() {
			rrs = append(rrs, s.follow(k, t.host, chain)...)
			continue
		}
		if rrType(t.addr) == k.qtype && !seen[t.host] {
			seen[t.host] = true
			rrs = append(rrs, addressRR(k.name, t.addr))
		}
	}
	return rrs, true
}

// maxChain is how many CNAMEs CoreDNS follows within its zone.
const maxChain = 10

// follow answers k with a CNAME to target and, when target is in the
// zone, its addresses; a CNAME that leads nowhere in the zone is left out.
// Out of the zone CoreDNS asks forward for the addresses, which here finds
// none, so the CNAME comes alone.
func (s *Server) follow(k query, target string, chain []dns.RR) []dns.RR {
	target = dns.Fqdn(target)
	if dns.IsSubDomain(k.name, target) {
		return nil // a loop: the name itself, or under it
	}
	cname := &dns.CNAME{Hdr: header(k.name, dns.TypeCNAME), Target: target}
	if len(chain) > maxChain {
		return nil
	}
	for _, rr := range chain {
		if c, ok := rr.(*dns.CNAME); ok && c.Target == target {
			return nil
		}
	}
	labels, ok := splitName(target)
	depth := dns.CountLabel(k.zone)
	if !ok || len(labels) < depth || !dns.IsSubDomain(k.zone, target) {
		return []dns.RR{cname}
	}
	next := k
	next.name = target
	next.labels = labels[:len(labels)-depth]
	rrs, ok := s.addresses(next, append(chain, cname))
	if !ok || len(rrs) == 0 {
		return nil
	}
	return append([]dns.RR{cname}, rrs...)
}

// txt answers the one TXT record of the schema, dns-version.<zone>.
// Another name has no TXT record, and CoreDNS tells NODATA from NXDOMAIN
// here by whether it has records of other types, so that a name that
// exists but holds nothing ("<ns>.svc.<zone>") does not exist for TXT.
func (s *Server) txt(k query) ([]dns.RR, bool) {
	if len(k.labels) == 1 && k.labels[0] == "dns-version" {
		return []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: k.name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: versionTTL}, Txt: []string{schemaVersion}}}, true
	}
	ts, _ := s.records(k)
	return nil, len(ts) > 0
}

const (
	// schemaVersion is the version of the Kubernetes DNS specification
	// that CoreDNS implements.
	schemaVersion = "1.1.0"
	versionTTL    = 28800
)

// cname answers an ExternalName Service's CNAME: the first target, if it
// is a name.
func (s *Server) cname(k query) ([]dns.RR, bool) {
	ts, ok := s.targets(k, dns.TypeCNAME)
	if !ok || len(ts) == 0 || ts[0].addr.IsValid() {
		return nil, ok
	}
	return []dns.RR{&dns.CNAME{Hdr: header(k.name, dns.TypeCNAME), Target: dns.Fqdn(ts[0].host)}}, true
}

// ptr answers a reverse name with the names of the Service or endpoints
// that have its address. A name that is no address is looked up as any
// other, for NODATA or NXDOMAIN.
func (s *Server) ptr(k query) ([]dns.RR, bool) {
	a, ok := reverseAddr(lower(k.name))
	if !ok {
		_, exists := s.records(k)
		return nil, exists
	}
	names := s.namesOf(a)
	if len(names) == 0 {
		return nil, false
	}
	var rrs []dns.RR
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			rrs = append(rrs, &dns.PTR{Hdr: header(k.name, dns.TypePTR), Ptr: n})
		}
	}
	return rrs, true
}

// srv answers one SRV record per target name and port, and the targets'
// addresses as additional records, as CoreDNS's plugin.SRV does: priority
// 0 and an equal weight, floor(100/n) where n counts the targets before
// duplicates and portless ones are dropped.
func (s *Server) srv(k query) (answer, extra []dns.RR, exists bool) {
	ts, ok := s.targets(k, dns.TypeSRV)
	if !ok {
		return nil, nil, false
	}
	weight := srvWeight(len(ts))
	type key struct {
		name string
		port int32
		addr string
	}
	seen := make(map[key]bool, 2*len(ts))
	for _, t := range ts {
		if t.port == -1 {
			continue
		}
		if sk := (key{name: t.domain, port: t.port}); !seen[sk] {
			seen[sk] = true
			answer = append(answer, &dns.SRV{Hdr: header(k.name, dns.TypeSRV), Weight: weight, Port: uint16(t.port), Target: t.domain})
		}
		if sk := (key{name: t.domain, addr: t.host}); !seen[sk] {
			seen[sk] = true
			extra = append(extra, addressRR(t.domain, t.addr))
		}
	}
	return answer, extra, true
}

// srvWeight is the weight CoreDNS gives each of n SRV targets of priority
// 0, each counted 100: 100/(100n) percent of 100, rounded down, at least 1,
// in floating point as CoreDNS computes it.
func srvWeight(n int) uint16 {
	w := math.Floor(100.0 / float64(100*n) * 100)
	if w < 1 {
		return 1
	}
	return uint16(w)
}

// ns answers the zone's NS records, one per nameserver name, with their
// addresses as additional records.
func (s *Server) ns(k query) (answer, extra []dns.RR) {
	seen := map[string]bool{}
	for _, t := range s.nameservers(k.zone) {
		extra = append(extra, addressRR(t.domain, t.addr))
		if !seen[t.domain] {
			seen[t.domain] = true
			answer = append(answer, &dns.NS{Hdr: header(k.name, dns.TypeNS), Ns: t.domain})
		}
	}
	return answer, extra
}

// soa is the zone's SOA record as CoreDNS makes it, written in the zone's
// spelling.
func (s *Server) soa(zone string) dns.RR {
	return &dns.SOA{
		Hdr:     header(zone, dns.TypeSOA),
		Ns:      nameserverPrefix + zone,
		Mbox:    "hostmaster." + zone,
		Serial:  s.serial.Load(),
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  ttl,
	}
}

// negative is an authoritative NXDOMAIN or NODATA reply, with the zone's
// SOA for resolvers to cache it by.
func (s *Server) negative(q *dns.Msg, k query, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(q, rcode)
	m.Authoritative = true
	m.Ns = []dns.RR{s.soa(k.zone)}
	return m
}

// failed is the bare reply CoreDNS's server writes for a plugin's
// SERVFAIL or REFUSED.
func failed(q *dns.Msg, rcode int) *dns.Msg {
	return new(dns.Msg).SetRcode(q, rcode)
}

// rejected is the reply of miekg/dns's server to a message it does not
// accept: the message itself, flagged as a reply with rcode, its records
// dropped.
func rejected(q *dns.Msg, rcode int) *dns.Msg {
	m := &dns.Msg{MsgHdr: q.MsgHdr, Question: append([]dns.Question(nil), q.Question...)}
	m.Response, m.Authoritative, m.Zero = true, false, false
	m.Rcode = rcode
	if rcode == dns.RcodeFormatError {
		m.Opcode = dns.OpcodeQuery
	}
	return m
}

// badVersion answers a query of an EDNS version other than 0 with BADVERS
// and CoreDNS's OPT record, as its server does before any plugin.
func badVersion(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Rcode = dns.RcodeBadVers
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetExtendedRcode(dns.RcodeBadVers)
	m.Extra = []dns.RR{o}
	return m
}

// finish echoes the client's OPT record (its buffer size, the DO bit and
// the options CoreDNS supports) and makes m fit a TCP message, as
// CoreDNS's ScrubWriter does.
func finish(q, m *dns.Msg) *dns.Msg {
	if o := q.IsEdns0(); o != nil {
		echo := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: o.Hdr.Class, Ttl: o.Hdr.Ttl & 0xff00}}
		for _, opt := range o.Option {
			switch opt.Option() {
			case dns.EDNS0NSID, dns.EDNS0EXPIRE, dns.EDNS0COOKIE, dns.EDNS0TCPKEEPALIVE, dns.EDNS0PADDING:
				echo.Option = append(echo.Option, opt)
			}
		}
		m.Extra = append(m.Extra, echo)
	}
	m.Truncate(dns.MaxMsgSize)
	return m
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// rrType is the record type of an address: A for IPv4 (and IPv4-mapped
// IPv6, as net.IP.To4 sees it), AAAA for IPv6.
func rrType(a netip.Addr) uint16 {
	if a.Unmap().Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

func addressRR(name string, a netip.Addr) dns.RR {
	if rrType(a) == dns.TypeA {
		return &dns.A{Hdr: header(name, dns.TypeA), A: a.Unmap().AsSlice()}
	}
	return &dns.AAAA{Hdr: header(name, dns.TypeAAAA), AAAA: a.AsSlice()}
}
