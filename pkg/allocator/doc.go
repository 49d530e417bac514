// Package allocator hands out node pod CIDRs, Service cluster IPs and NodePorts exactly as
// Kubernetes v1.37 chooses them, and LoadBalancer ingress IPs as a simple cloud would, as pure in-memory per-family types over net/netip; it is not
// where allocations are stored, logged or exposed over HTTP (its callers do that).
//
// There are four allocators, each safe for concurrent use and each covering one IP family or
// one port range:
//
//   - CIDRSet: sub-prefixes of a cluster CIDR for node IPAM, handed out sequentially and
//     round-robin like kube-controller-manager's cidrset.
//   - IPRange: addresses of a Service CIDR, with upstream's static (lower) and dynamic
//     (upper) bands and a random start in the dynamic band, like the apiserver's ipallocator.
//   - PortAllocator: ports of a PortRange ("30000-32767"), banded the same way, like the
//     apiserver's portallocator.
//   - AddrPool: addresses of a range handed out lowest free first: LoadBalancer ingress
//     addresses, as MetalLB-style pools hand them out (Kubernetes itself leaves this to cloud
//     providers), node InternalIPs, as a docker network does for kind's nodes, and pod IPs
//     from a node's podCIDRs, as the host-local IPAM plugin does.
//
// Dual-stack is one allocator per family, composed (IPRanges, CIDRSets, AddrPools); the first two allocate across
// families all-or-nothing.
//
// Errors are ErrFull, ErrAllocated and *NotInRangeError (test with errors.Is and errors.As);
// their texts are upstream's, since users compare them.
package allocator
