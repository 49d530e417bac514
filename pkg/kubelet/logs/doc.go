// Package logs is the kubelet's side of container logs in the CRI log format: where a
// container instance's log file lives in a node's sandbox folder (the kubelet's
// /var/log/pods layout), a writer that turns a container's stdout and stderr into that
// format as containerd does, and a reader that serves a log file with the options of
// `kubectl logs` through k8s.io/cri-client's reader, as the kubelet does.
//
// It is not the kubelet's HTTP API (package server), which decides which file a request
// means, and it runs no containers.
package logs
