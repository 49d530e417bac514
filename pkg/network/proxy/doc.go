// Package proxy decides, as kube-proxy v1.37 in nftables (or iptables)
// mode would, where a TCP connection to a Service's virtual address goes
// and what source address its endpoint sees, from the Services,
// EndpointSlices and node addresses it reads at that moment (and session
// affinity's memory); it neither moves bytes nor answers for pod, node or
// unowned addresses, which pkg/network does.
//
// Behaviour modelled, with the upstream files (kubernetes/kubernetes,
// pkg/proxy) it follows:
//
//   - Which Services count (servicechangetracker.go, proxyutil
//     ShouldSkipService, cmd/kube-proxy's informer selector): not
//     ExternalName, not headless, not labelled
//     service.kubernetes.io/service-proxy-name. Each IP family has its own
//     proxier: a Service is reachable over a family, NodePort included,
//     only if it has a cluster IP of that family.
//   - Virtual addresses (serviceport.go, nftables/proxier.go): every
//     cluster IP, externalIPs, status.loadBalancer.ingress IPs of ipMode
//     VIP or unset (a Proxy-mode ingress IP is not captured, from pods
//     either), and each nodePort on every address of every node. A cluster
//     IP's unknown port is rejected; an external or LoadBalancer IP's
//     unknown port, like an unknown NodePort, is not kube-proxy's.
//   - Endpoints (endpointslicecache.go, endpointschangetracker.go): slices
//     labelled kubernetes.io/service-name with the family's addressType,
//     the slice port named as the Service port, each endpoint's first
//     address, duplicates merged. Ready endpoints are used; with none,
//     serving-terminating ones, independently for Cluster and Local
//     (topology.go CategorizeEndpoints).
//   - Traffic policies (nftables/proxier.go syncProxyRules): no usable
//     endpoint anywhere rejects (ECONNREFUSED); internalTrafficPolicy Local
//     with no endpoint on the client's node drops (the client times out),
//     as does externalTrafficPolicy Local with none on the receiving node,
//     except for traffic from pods and from the node itself, which is
//     short-circuited to the Cluster endpoints.
//   - Masquerade: a cluster IP masquerades sources outside ClusterCIDRs;
//     externalTrafficPolicy Cluster masquerades everything; Local keeps the
//     client's address; a connection to the client itself (hairpin) is
//     masqueraded. A masqueraded source is the handling node's first
//     address of the family, where a real node would use the address of
//     the interface the packet leaves by (for a local endpoint, the bridge
//     or veth's).
//   - Random choice among a chain's endpoints, and sessionAffinity
//     ClientIP: per node and Service port, a client sticks to its endpoint
//     while it stays in the chain, until timeoutSeconds (default 10800)
//     after its last new connection.
//   - trafficDistribution PreferSameNode's node hints (topology.go
//     topologyModeFromHints).
//   - loadBalancerSourceRanges of the family, for LoadBalancer IPs: other
//     sources are dropped.
//
// Not modelled: UDP and SCTP (only TCP ports are matched); zone hints
// (PreferClose, PreferSameZone: kube-proxy ignores them on a node with no
// zone label, which is every simulated node); --nodeport-addresses (every
// node address takes NodePorts, as in iptables mode; nftables mode's
// default, "primary", takes only the first of each family); detect-local
// modes other than ClusterCIDR; masqueradeAll; health check node ports as
// listeners; conntrack, so established connections are never re-routed.
//
// Where the network picks a node (traffic from outside to a cluster,
// external or LoadBalancer IP), it picks uniformly among the nodes, or for
// an externalTrafficPolicy Local Service among those with a ready
// endpoint, as a load balancer following health checks would. nftables'
// filter-output chain drops a node's own traffic to an
// externalTrafficPolicy Local address that has no local endpoint before
// its NAT rules could short-circuit it; iptables mode, and this package,
// short-circuit it.
package proxy
