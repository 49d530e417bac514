package e2e

// The network scenario: the seed's "verify access to the service through
// its IP and port", as a learner types it. Serial: its pods would take the
// pod IPs the pods scenario shows.
func init() {
	scenarios = append(scenarios, scenario{
		name:   "network",
		serial: true,
		steps:  networkSteps(),
	})
}

func networkSteps() []step {
	return []step{
		k("create", "namespace", "network"),
		k("apply", "-n", "network", "-f", "network-pods.yaml"),
		k("apply", "-n", "network", "-f", "service-prefer-dual-stack.yaml"),
		k("wait", "-n", "network", "--for=condition=Ready", "pod", "--all", "--timeout=60s"),
		// The Service's short name, through the pod's search list, to one
		// of the two pods.
		k("exec", "-n", "network", "client", "--", "wget", "-qO-", "http://my-service/echo?msg=hello"),
		// busybox's nslookup asks every search domain and fails for the
		// ones that have no such name, as on a real cluster.
		k("exec", "-n", "network", "client", "--", "nslookup", "my-service").
			mask(clusterIPv4, "<cluster-ip>").mask(clusterIPv6, "<cluster-ipv6>").exits(1),
		k("exec", "-n", "network", "client", "--", "nslookup", "my-service.network.svc.cluster.local").
			mask(clusterIPv4, "<cluster-ip>").mask(clusterIPv6, "<cluster-ipv6>"),
		// A port the Service does not have is refused; a name no Service
		// has does not resolve.
		k("exec", "-n", "network", "client", "--", "wget", "-qO-", "-T", "2", "http://my-service:81/").
			mask(clusterIPv4, "<cluster-ip>").exits(1),
		k("exec", "-n", "network", "client", "--", "wget", "-qO-", "-T", "2", "http://no-such-service/").exits(1),
		// The API server's own proxy to the Service and to a pod.
		k("get", "--raw", "/api/v1/namespaces/network/services/my-service:80/proxy/echo?msg=proxied"),
		k("get", "--raw", "/api/v1/namespaces/network/pods/web-1:80/proxy/hostname"),
		k("delete", "namespace", "network").versionSpecificOutput(),
	}
}
