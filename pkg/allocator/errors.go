package allocator

import (
	"errors"
	"fmt"
	"net/netip"
)

var (
	// ErrFull is returned by AllocateNext when every address, port or CIDR of the range is
	// taken (the dynamic band and the static band). Its text is upstream's "range is full".
	ErrFull = errors.New("range is full")

	// ErrAllocated is returned by IPRange.Allocate when the requested address is in the range
	// but already taken.
	ErrAllocated = errors.New("provided IP is already allocated")

	// ErrPortAllocated is returned by PortAllocator.Allocate when the requested port is in
	// the range but already taken. It matches ErrAllocated with errors.Is.
	ErrPortAllocated error = &portAllocatedError{}

	// ErrCIDRRangeNoCIDRsRemaining is returned by CIDRSet.AllocateNext when every sub-CIDR
	// is taken. It matches ErrFull with errors.Is.
	ErrCIDRRangeNoCIDRsRemaining error = &cidrFullError{}

	// ErrCIDRSetSubNetTooBig is returned by NewCIDRSet for an IPv6 cluster CIDR whose node
	// mask is more than 16 bits longer than the cluster mask.
	//lint:ignore ST1005 kube-controller-manager's own text.
	ErrCIDRSetSubNetTooBig = errors.New("New CIDR set failed; the node CIDR size is too big")
)

type portAllocatedError struct{}

func (*portAllocatedError) Error() string        { return "provided port is already allocated" }
func (*portAllocatedError) Is(target error) bool { return target == ErrAllocated }

type cidrFullError struct{}

func (*cidrFullError) Error() string {
	return "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range"
}
func (*cidrFullError) Is(target error) bool { return target == ErrFull }

// NotInRangeError is returned by IPRange.Allocate and PortAllocator.Allocate when the
// requested value cannot be allocated from the range at all.
//
// For an address, exactly one of two upstream texts is produced, as a v1.37 apiserver (whose
// MultiCIDRServiceAllocator is locked on) produces them:
//   - the address is outside the Service CIDR (or of the other family):
//     "the provided network does not match the current range";
//   - the address is inside the CIDR but reserved (the network address, or the IPv4
//     broadcast address): "the provided IP (<ip>) is not in the valid range. The range of
//     valid IPs is <cidr>".
//
// For a port: "provided port is not in the valid range. The range of valid ports is <range>".
type NotInRangeError struct {
	// Addr is the rejected address; invalid (zero) for a port.
	Addr netip.Addr
	// Prefix is the range that rejected Addr; invalid (zero) when no range of Addr's family
	// exists (see IPRanges).
	Prefix netip.Prefix
	// Port is the rejected port; meaningful only when Addr is invalid.
	Port int
	// Ports is the range that rejected Port.
	Ports PortRange
}

// Error returns upstream's text; see the type's documentation.
func (e *NotInRangeError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", e.Ports)
	}
	if !e.Prefix.IsValid() || !e.Prefix.Contains(e.Addr) {
		return "the provided network does not match the current range"
	}
	return fmt.Sprintf("the provided IP (%v) is not in the valid range. The range of valid IPs is %s", e.Addr, e.Prefix)
}
