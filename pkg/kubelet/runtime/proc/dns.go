package proc

import (
	"net/netip"
	"strconv"
)

// QType is a DNS query type.
type QType uint16

// The query types the simulated tools send.
const (
	TypeA     QType = 1
	TypeCNAME QType = 5
	TypePTR   QType = 12
	TypeAAAA  QType = 28
	TypeSRV   QType = 33
)

// RCode is a DNS response code.
type RCode int

// Response codes, with the names nslookup prints.
const (
	NoError  RCode = 0
	FormErr  RCode = 1
	ServFail RCode = 2
	NXDomain RCode = 3
	NotImp   RCode = 4
	Refused  RCode = 5
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

// Answer is a DNS reply: the response code and the records of the asked type (addresses for
// A/AAAA, names for PTR and CNAME). An empty NoError answer is NODATA.
type Answer struct {
	RCode RCode
	Addrs []netip.Addr
	Names []string
	// CNAME is the canonical name when the asked name is an alias.
	CNAME string
}
