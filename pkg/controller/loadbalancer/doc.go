// Package loadbalancer gives Services of type LoadBalancer their ingress IPs
// from --load-balancer-ip-range, as a cloud controller manager's service
// controller does with a simple address pool (like cloud-provider-kind or
// MetalLB); it does not carry traffic to those IPs, allocate NodePorts (the
// API server does) or serve Services of any loadBalancerClass.
//
// What a Service gets:
//
//   - Only Services with spec.type LoadBalancer and no loadBalancerClass are
//     served, as by the upstream service controller. Any class, including a
//     name of our own, means another implementation: fakecluster has no class
//     of its own, so a Service that sets one stays <pending> unless something
//     else serves it.
//   - status.loadBalancer.ingress has one entry per family of spec.ipFamilies,
//     in that order, each {ip, ipMode: VIP} from the range of that family.
//     An empty spec.ipFamilies counts as the family of the first range.
//     A family with no range gets no entry, as cloud-provider-kind skips a
//     family its load balancer has no address of; a Service none of whose
//     families has a range stays <pending> with a SyncLoadBalancerFailed
//     event.
//   - Addresses are handed out lowest free first (allocator.AddrPool). The
//     deprecated spec.loadBalancerIP is honoured for its family when it is in
//     the range and free; otherwise the Service stays <pending> (for all its
//     families) with a SyncLoadBalancerFailed Warning event, and is retried
//     with upstream's backoff (5s to 5m), and at once when an address is
//     released. An exhausted range is reported and retried the same way, and
//     a dual-stack Service takes nothing of one family while the other has
//     no address left.
//   - Like the upstream service controller the controller adds the finalizer
//     service.kubernetes.io/load-balancer-cleanup before it assigns anything,
//     and removes it once it has released the addresses of a Service that is
//     deleted or no longer of type LoadBalancer (whose ingress it clears).
//     Finalizer and status are written through services/status, with
//     upstream's events: EnsuringLoadBalancer, EnsuredLoadBalancer,
//     DeletingLoadBalancer, DeletedLoadBalancer, SyncLoadBalancerFailed and
//     the Type/LoadbalancerIP/... change events, source service-controller.
//   - On start the addresses in the status of the Services it serves (or
//     holds the finalizer of) are relearned before any is handed out, oldest
//     Service first, so nothing is handed out twice across restarts.
//
// Upstream's node sync (UpdatedLoadBalancer, UnAvailableLoadBalancer) has no
// counterpart: there are no load balancer backends to point at Nodes.
package loadbalancer
