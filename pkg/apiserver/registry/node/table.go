package node

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

const (
	// nodeRoleLabelPrefix marks a role by the rest of the label key
	// (node-role.kubernetes.io/control-plane="").
	nodeRoleLabelPrefix = "node-role.kubernetes.io/"
	// nodeRoleLabel is the older form, with the role in the value (kubernetes.io/role=master).
	nodeRoleLabel = "kubernetes.io/role"
)

// table returns the kubectl get columns of nodes:
// NAME STATUS ROLES AGE VERSION [INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME].
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Status", Type: "string", Description: "Readiness of the node, and whether scheduling onto it is disabled."},
		{Name: "Roles", Type: "string", Description: "Roles taken from the node's role labels."},
		tables.AgeColumn(),
		{Name: "Version", Type: "string", Description: "Version of the node's kubelet."},
		{Name: "Internal-IP", Type: "string", Priority: 1, Description: "The node's first InternalIP address."},
		{Name: "External-IP", Type: "string", Priority: 1, Description: "The node's first ExternalIP address."},
		{Name: "OS-Image", Type: "string", Priority: 1, Description: "Operating system image reported by the kubelet."},
		{Name: "Kernel-Version", Type: "string", Priority: 1, Description: "Kernel version reported by the kubelet."},
		{Name: "Container-Runtime", Type: "string", Priority: 1, Description: "Container runtime and version reported by the kubelet."},
	}
	return tables.NewConvertor[*corev1.NodeList](t, columns, nodeRow)
}

func nodeRow(node *corev1.Node, now time.Time) []any {
	info := node.Status.NodeInfo
	return []any{
		node.Name,
		nodeStatus(node),
		tables.NoneIfEmpty(strings.Join(nodeRoles(node.Labels), ",")),
		tables.Age(node.CreationTimestamp, now),
		info.KubeletVersion,
		nodeAddress(node, corev1.NodeInternalIP),
		nodeAddress(node, corev1.NodeExternalIP),
		unknownIfEmpty(info.OSImage),
		unknownIfEmpty(info.KernelVersion),
		unknownIfEmpty(info.ContainerRuntimeVersion),
	}
}

// nodeStatus is Ready, NotReady or (with no Ready condition) Unknown, followed by
// ",SchedulingDisabled" for a cordoned node. With several Ready conditions the last wins.
func nodeStatus(node *corev1.Node) string {
	status := "Unknown"
	for _, cond := range node.Status.Conditions {
		if cond.Type != corev1.NodeReady {
			continue
		}
		if cond.Status == corev1.ConditionTrue {
			status = string(corev1.NodeReady)
		} else {
			status = "Not" + string(corev1.NodeReady)
		}
	}
	if node.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles returns the sorted, distinct roles named by the node's labels.
func nodeRoles(labels map[string]string) []string {
	var roles []string
	for k, v := range labels {
		switch {
		case strings.HasPrefix(k, nodeRoleLabelPrefix):
			if role := strings.TrimPrefix(k, nodeRoleLabelPrefix); role != "" {
				roles = append(roles, role)
			}
		case k == nodeRoleLabel && v != "":
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// nodeAddress returns the first address of type t: on a dual-stack node only one is shown.
func nodeAddress(node *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range node.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

// unknownIfEmpty returns "<unknown>" for node info the kubelet has not reported.
func unknownIfEmpty(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}
