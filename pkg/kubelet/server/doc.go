// Package server is the kubelet's HTTP API, the one kube-apiserver proxies pods/log,
// exec, attach, portforward and nodes/proxy to: /containerLogs, /exec, /attach,
// /portForward, /healthz, /pods and /runningpods/, with the real kubelet's paths, query
// parameters, status codes and error texts, over HTTPS with a serving certificate per
// node from the cluster CA. Only the API server may call it: a client certificate from
// the cluster CA with its common name, or its bearer token; anyone else gets the kubelet's
// 401 or 403, so nobody else can exec into a pod.
//
// One Server serves every node of a process on one listener and tells them apart by the
// request's host (the node name, as kube-apiserver puts it in the URL) or TLS server name.
// Streams use k8s.io/cri-streaming (SPDY and websocket up to v4, as the kubelet's direct
// streaming path); websocket v5 exec/attach and websocket-tunnelled port-forward, which
// kube-apiserver usually translates to SPDY before they reach a kubelet, are served too.
//
// It is not the kubelet: what runs where comes from a Provider per node, which the kubelet
// core implements over its pods and the simulated runtime. Log files are read by package
// logs.
package server
