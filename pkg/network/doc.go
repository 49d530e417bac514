// Package network is fakecluster's simulated pod network: what the CNI
// plugin, kube-proxy and CoreDNS are to a real cluster, in one place that
// the simulated runtime asks whenever a container connects, pings or
// looks a name up.
//
// It reads Services, EndpointSlices and Nodes over client-go, as
// kube-proxy and CoreDNS do, and reaches pods through Pods (the runtime's
// address table), so it imports neither the API server nor the kubelet. A
// connection to a virtual address (a cluster IP, a NodePort on a node IP,
// a LoadBalancer ingress IP, an external IP) goes to the endpoint
// pkg/network/proxy chooses; a connection to a pod IP goes to that pod;
// DNS queries to the kube-dns Service's address are answered by
// pkg/network/dns. Anything else has no owner: the client waits for its
// timeout, as a packet to an unrouted address is lost.
//
// One connection is one net.Pipe between two goroutines; nothing is
// copied through a socket, so a request costs what its programs cost.
package network
