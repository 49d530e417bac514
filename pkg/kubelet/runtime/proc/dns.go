package proc

import (
	"net/netip"
	"strconv"

	"github.com/miekg/dns"
)

// QType is a DNS query type, with miekg/dns's numbering.
type QType uint16

// The query types the simulated tools send.
const (
	TypeA     QType = QType(dns.TypeA)
	TypeCNAME QType = QType(dns.TypeCNAME)
	TypePTR   QType = QType(dns.TypePTR)
	TypeAAAA  QType = QType(dns.TypeAAAA)
	TypeSRV   QType = QType(dns.TypeSRV)
)

// RCode is a DNS response code.
type RCode int

// Response codes, with the names nslookup prints.
const (
	NoError  RCode = dns.RcodeSuccess
	FormErr  RCode = dns.RcodeFormatError
	ServFail RCode = dns.RcodeServerFailure
	NXDomain RCode = dns.RcodeNameError
	NotImp   RCode = dns.RcodeNotImplemented
	Refused  RCode = dns.RcodeRefused
)

func (r RCode) String() string {
	switch r {
	case NoError:
		return "NOERROR"
	case FormErr:
		return "FORMERR"
	case ServFail:
		return "SERVFAIL"
	case NXDomain:
		return "NXDOMAIN"
	case NotImp:
		return "NOTIMP"
	case Refused:
		return "REFUSED"
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// Answer is the gist of a DNS reply, what getent and nslookup print: the response code and
// the records of the asked type (addresses for A/AAAA, names for PTR and CNAME, SRV records).
// An empty NoError answer is NODATA. Tools that print whole messages (dig) read the reply
// itself.
type Answer struct {
	RCode RCode
	Addrs []netip.Addr
	Names []string
	SRV   []*dns.SRV
	// CNAME is the canonical name when the asked name is an alias.
	CNAME string
}

// Query is the question a stub resolver sends for name: one question, recursion desired.
func Query(name string, qt QType) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), uint16(qt))
	m.RecursionDesired = true
	return m
}

// Summarize reads the gist of reply, following the CNAME chain from the question's name.
func Summarize(reply *dns.Msg) Answer {
	a := Answer{RCode: RCode(reply.Rcode)}
	if len(reply.Question) == 0 {
		return a
	}
	owner := reply.Question[0].Name
	for _, rr := range reply.Answer {
		if c, ok := rr.(*dns.CNAME); ok && equalName(c.Hdr.Name, owner) {
			owner = c.Target
			a.CNAME = trimDot(c.Target)
		}
	}
	for _, rr := range reply.Answer {
		switch r := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
				a.Addrs = append(a.Addrs, ip)
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
				a.Addrs = append(a.Addrs, ip)
			}
		case *dns.PTR:
			a.Names = append(a.Names, trimDot(r.Ptr))
		case *dns.SRV:
			a.SRV = append(a.SRV, r)
		case *dns.CNAME:
			if reply.Question[0].Qtype == dns.TypeCNAME {
				a.Names = append(a.Names, trimDot(r.Target))
			}
		}
	}
	return a
}

func equalName(a, b string) bool { return dns.CanonicalName(a) == dns.CanonicalName(b) }

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}
