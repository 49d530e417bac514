// Package kubelet is fakecluster's fake kubelet: one per node, it registers
// its Node and keeps the node's Lease and status fresh, watches the pods
// bound to its node, gives each pod IPs from the node's podCIDRs, writes the
// files a real kubelet writes for it (hosts file, hostname, resolv.conf,
// volumes, CRI logs) into the node's sandbox folder, mounts hostPath
// volumes and bound hostPath or local PersistentVolumes from the node's
// host folder (<sandbox>/<node>/host, the node's "/"; see
// Kubelet.HostDir), runs its containers in
// the simulated runtime and reports their status, as a kubelet with
// containerd does. It reaches the API only over client-go, so it can run in
// another process than the API server. It is not the runtime (package
// runtime), the volume files (volumes), the environment (envvars), the
// probes (prober), the CRI log format (logs) or the kubelet's HTTP API
// (server); it ties them together for each pod.
package kubelet
