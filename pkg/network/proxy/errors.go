package proxy

import (
	"errors"
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/types"
)

var (
	// ErrNoService is returned by Route when kube-proxy would not touch the
	// connection: the destination is no Service's cluster IP, no external IP
	// or VIP-mode LoadBalancer IP with that port, and no NodePort on a node
	// address. The caller delivers it as an ordinary packet to that address.
	ErrNoService = errors.New("not a service address")

	// ErrRefused is returned (inside an *Error) when kube-proxy rejects the
	// connection with an ICMP port unreachable: the Service port has no
	// usable endpoint anywhere, or to is a cluster IP without that port. The
	// client's connect fails with ECONNREFUSED.
	ErrRefused = errors.New("rejected")

	// ErrDropped is returned (inside an *Error) when kube-proxy drops the
	// connection's packets: a traffic policy of Local with no endpoint on the
	// node, or a source outside loadBalancerSourceRanges. The client's
	// connect times out (ETIMEDOUT).
	ErrDropped = errors.New("dropped")
)

// Error says which Service port refused or dropped a connection, and why,
// so that the caller can log what kube-proxy's rules would not show.
// errors.Is(err, ErrRefused) or errors.Is(err, ErrDropped) tells which.
type Error struct {
	// To is the connection's destination.
	To netip.AddrPort
	// Service is the Service that owns To.
	Service types.NamespacedName
	// Port is the name of the Service port To reached; "" also when To is
	// a cluster IP with no such port.
	Port string
	// Reason is what kube-proxy saw, in a few words.
	Reason string
	// Err is ErrRefused or ErrDropped.
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: service %s port %q: %s: %v", e.To, e.Service, e.Port, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
