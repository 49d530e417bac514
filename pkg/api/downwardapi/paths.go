package downwardapi

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/kubectl/pkg/util/fieldpath"
)

// The prefixes of the hugepages resources a resourceFieldRef may name, such
// as requests.hugepages-2Mi; the size is not checked, as upstream does not.
const (
	HugePagesRequestsPrefix = "requests.hugepages-"
	HugePagesLimitsPrefix   = "limits.hugepages-"
)

// EnvFieldPaths returns the fieldRef paths an env var may name (upstream's
// validEnvDownwardAPIFieldPathExpressions). Subscripted labels and
// annotations are allowed besides these and checked on their own. It is a
// fresh set on each call, so callers may not change one another's.
func EnvFieldPaths() sets.Set[string] {
	return sets.New(
		"metadata.name", "metadata.namespace", "metadata.uid",
		"spec.nodeName", "spec.serviceAccountName",
		"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
	)
}

// VolumeFieldPaths returns the fieldRef paths a downwardAPI volume item may
// name (upstream's validVolumeDownwardAPIFieldPathExpressions): only metadata,
// because a volume is written before the pod has IPs or a node in status.
func VolumeFieldPaths() sets.Set[string] {
	return sets.New(
		"metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid",
	)
}

// ResourceFieldPaths returns the standard resources a resourceFieldRef may
// name; hugepages resources (IsResourceFieldPath) are allowed besides these.
func ResourceFieldPaths() sets.Set[string] {
	return sets.New(
		"limits.cpu", "limits.memory", "limits.ephemeral-storage",
		"requests.cpu", "requests.memory", "requests.ephemeral-storage",
	)
}

// IsResourceFieldPath reports whether a resourceFieldRef may name resource:
// a standard one or any hugepages request or limit.
func IsResourceFieldPath(resource string) bool {
	switch resource {
	case "limits.cpu", "limits.memory", "limits.ephemeral-storage",
		"requests.cpu", "requests.memory", "requests.ephemeral-storage":
		return true
	}
	return strings.HasPrefix(resource, HugePagesRequestsPrefix) || strings.HasPrefix(resource, HugePagesLimitsPrefix)
}

// CPUDivisors returns the divisors a cpu resourceFieldRef may use, in the
// canonical form resource.Quantity.String prints.
func CPUDivisors() sets.Set[string] { return sets.New("1m", "1") }

// BytesDivisors returns the divisors a memory, ephemeral-storage or hugepages
// resourceFieldRef may use, in the canonical form resource.Quantity.String
// prints.
func BytesDivisors() sets.Set[string] {
	return sets.New("1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei")
}

// ConvertFieldLabel converts a downward API field label of a pod of the given
// API version to the path the kubelet resolves, as upstream's
// pods.ConvertDownwardAPIFieldLabel does: only v1 exists, spec.host is the
// old name of spec.nodeName, and only labels and annotations take a
// subscript. It accepts a few paths (spec.restartPolicy, spec.schedulerName,
// status.phase) that no fieldRef may use; validation rejects those with the
// sets above, and PodFieldValue reports them unsupported.
func ConvertFieldLabel(version, label string) (string, error) {
	if version != "v1" {
		return "", fmt.Errorf("unsupported pod version: %s", version)
	}
	if path, _, ok := SplitSubscriptedPath(label); ok {
		if path == "metadata.annotations" || path == "metadata.labels" {
			return label, nil
		}
		return "", fmt.Errorf("field label does not support subscript: %s", label)
	}
	switch label {
	case "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
		"spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName",
		"status.phase", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs":
		return label, nil
	case "spec.host":
		return "spec.nodeName", nil
	}
	return "", fmt.Errorf("field label not supported: %s", label)
}

// SplitSubscriptedPath splits metadata.labels['key'] into metadata.labels,
// key and true; a path without a subscript comes back whole with false. The
// key is everything between the first [' and the final '], so it may itself
// contain brackets; an empty key is still a subscript.
func SplitSubscriptedPath(fieldPath string) (path, subscript string, ok bool) {
	return fieldpath.SplitMaybeSubscriptedPath(fieldPath)
}
