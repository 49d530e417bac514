// Package kubeletclient is how the API server reaches a node's kubelet (pod
// logs, exec, attach, port-forward and nodes/proxy), as
// k8s.io/kubernetes/pkg/kubelet/client is for kube-apiserver: the transport,
// and the kubelet URL of a node looked up in the nodes' storage.
//
// It serves nothing and knows no kubelet API path: the pod and node
// registries build their requests and proxy them.
package kubeletclient
