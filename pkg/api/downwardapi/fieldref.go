package downwardapi

import (
	"errors"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/kubectl/pkg/util/fieldpath"
)

// errHostIPUnknown is returned for status.hostIP(s) when the pod status has
// no host IP yet; a real kubelet reads its node's addresses instead, and
// fails the container the same way when it has none.
var errHostIPUnknown = errors.New("host IP unknown")

// FieldRefValue resolves an env var's fieldRef for pod, as the kubelet does
// when it starts a container: the label is converted for fs.APIVersion
// (ConvertFieldLabel), then resolved by PodFieldValue.
func FieldRefValue(pod *corev1.Pod, fs *corev1.ObjectFieldSelector) (string, error) {
	if fs == nil {
		return "", errors.New("fieldRef is nil")
	}
	path, err := ConvertFieldLabel(fs.APIVersion, fs.FieldPath)
	if err != nil {
		return "", err
	}
	return podFieldValue(pod, path)
}

// PodFieldValue resolves a v1 downward API field path for pod:
//
//   - metadata.name, metadata.namespace, metadata.uid, spec.nodeName,
//     spec.serviceAccountName (spec.host is read as spec.nodeName);
//   - metadata.labels['k'] and metadata.annotations['k']: that value, "" when
//     missing (an invalid key is an error);
//   - metadata.labels and metadata.annotations: key="value" lines sorted by
//     key, joined by newlines, as a downwardAPI volume file holds them;
//   - status.podIPs and status.hostIPs: the IPs in status order joined with
//     commas (status.podIP/hostIP alone when the list is empty), and
//     status.podIP and status.hostIP: the first of them. Set the pod's status
//     IPs before asking: the kubelet's are sorted with its node's family
//     first, which is the order a fakecluster kubelet writes into status.
//
// Other paths are errors with upstream's texts, including the labels
// ConvertFieldLabel accepts that no fieldRef may name (status.phase…).
func PodFieldValue(pod *corev1.Pod, fieldPath string) (string, error) {
	path, err := ConvertFieldLabel("v1", fieldPath)
	if err != nil {
		return "", err
	}
	return podFieldValue(pod, path)
}

func podFieldValue(pod *corev1.Pod, path string) (string, error) {
	if pod == nil {
		return "", errors.New("invalid input, pod cannot be nil")
	}
	switch path {
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		ips := hostIPs(pod)
		if len(ips) == 0 {
			return "", errHostIPUnknown
		}
		if path == "status.hostIP" {
			return ips[0], nil
		}
		return strings.Join(ips, ","), nil
	case "status.podIP":
		if ips := podIPs(pod); len(ips) > 0 {
			return ips[0], nil
		}
		return "", nil
	case "status.podIPs":
		return strings.Join(podIPs(pod), ","), nil
	}
	return fieldpath.ExtractFieldPathAsString(pod, path)
}

// podIPs lists the pod's IPs in status order, falling back to status.podIP
// for a status written by a single-stack client that set only that field.
func podIPs(pod *corev1.Pod) []string {
	ips := make([]string, 0, len(pod.Status.PodIPs))
	for _, ip := range pod.Status.PodIPs {
		if ip.IP != "" {
			ips = append(ips, ip.IP)
		}
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = append(ips, pod.Status.PodIP)
	}
	return ips
}

// hostIPs is podIPs for the node's addresses in the pod status.
func hostIPs(pod *corev1.Pod) []string {
	ips := make([]string, 0, len(pod.Status.HostIPs))
	for _, ip := range pod.Status.HostIPs {
		if ip.IP != "" {
			ips = append(ips, ip.IP)
		}
	}
	if len(ips) == 0 && pod.Status.HostIP != "" {
		ips = append(ips, pod.Status.HostIP)
	}
	return ips
}
