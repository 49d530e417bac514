// Package downwardapi holds the downward API rules that the API server's pod
// validation and the kubelet must agree on: which fieldRef paths and
// resourceFieldRef resources a pod may name, how a v1 field label converts,
// and what value each path or resource resolves to for a pod, as Kubernetes
// v1.37 computes them. It is pure (no client-go, no apiserver) so that both
// sides can import it; it is not validation itself (the pod registry builds
// field errors from these sets) nor the container environment (package
// pkg/kubelet/envvars) nor the downwardAPI volume's files.
//
// Values follow the kubelet, not a general JSONPath: status.podIPs and
// status.hostIPs are joined with commas in the order the pod status lists
// them, whole label and annotation maps are written as sorted key="value"
// lines as in a downwardAPI volume, and resource values are divided by the
// divisor and rounded up, with unset limits taken from pod-level limits or
// the node's allocatable.
//
// Errors carry upstream's texts unwrapped, because the kubelet shows them to
// users verbatim (for instance as a CreateContainerConfigError message).
package downwardapi
