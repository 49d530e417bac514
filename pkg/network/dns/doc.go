// Package dns is the cluster's DNS server: it answers queries as CoreDNS
// with kubeadm's default Corefile does, from Services and EndpointSlices
// read through client-go listers; it is not a resolver, and it knows
// nothing of the world outside the cluster.
//
// The answers are those of CoreDNS's kubernetes plugin configured as
//
//	kubernetes cluster.local in-addr.arpa ip6.arpa {
//	    pods insecure
//	    fallthrough in-addr.arpa ip6.arpa
//	    ttl 30
//	}
//
// record for record, flag for flag and rcode for rcode, down to its quirks
// (every one is named where it is coded): the A, AAAA, CNAME, SRV and PTR
// records of the Kubernetes DNS specification for Services, their
// endpoints and pods, the dns-version TXT record, the SOA and NS records
// of the zones, NXDOMAIN and NODATA with the SOA, the client's spelling
// kept in every name it wrote. Server.Answer answers a message in memory,
// as the simulated pods' resolvers exchange them; Server.ListenAndServe
// serves UDP and TCP for dig and other clients on the host.
//
// What is deliberately different:
//
//   - There is no upstream. Where CoreDNS forwards (names outside the
//     cluster domain, and reverse names that no Service or endpoint has),
//     this server answers SERVFAIL, as CoreDNS's forward plugin does when
//     no upstream answers. So an ExternalName Service outside the cluster
//     answers its CNAME and nothing more.
//   - Nothing is cached and nothing is shuffled: kubeadm's cache and
//     loadbalance plugins would serve answers up to 30 s old and in random
//     order. Here a new Service resolves at once, and records come in a
//     stable order (Services and EndpointSlices sorted by name, endpoints
//     in their slice's order), which CoreDNS, reading its informer's
//     cache, does not promise.
//   - The server stands for the CoreDNS pod behind kube-system/kube-dns:
//     NS records and ns.dns.<zone> name that Service's cluster IPs.
//   - Messages are checked as miekg/dns's server checks them (it is the
//     server CoreDNS runs on), also when they come to Answer in memory.
package dns
