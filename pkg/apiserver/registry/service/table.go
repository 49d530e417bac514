package service

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of services:
// NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE [SELECTOR].
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Type", Type: "string", Description: "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."},
		{Name: "Cluster-IP", Type: "string", Description: "The service's primary cluster IP, None for a headless service."},
		{Name: "External-IP", Type: "string", Description: "Addresses reachable from outside the cluster: load balancer ingress and external IPs."},
		{Name: "Port(s)", Type: "string", Description: "Service ports with their node ports and protocols."},
		tables.AgeColumn(),
		{Name: "Selector", Type: "string", Priority: 1, Description: "Labels of the pods that back the service."},
	}
	return tables.NewConvertor[*corev1.ServiceList](t, columns, serviceRow)
}

func serviceRow(svc *corev1.Service, now time.Time) []any {
	return []any{
		svc.Name,
		string(svc.Spec.Type),
		serviceClusterIP(svc),
		serviceExternalIP(svc),
		tables.NoneIfEmpty(servicePorts(svc.Spec.Ports)),
		tables.Age(svc.CreationTimestamp, now),
		labels.FormatLabels(svc.Spec.Selector),
	}
}

// serviceClusterIP shows only the primary family's address of a dual-stack service.
// kube-apiserver reads spec.clusterIPs, which defaulting always fills from spec.clusterIP;
// the fallback covers a stored object that skipped that defaulting.
func serviceClusterIP(svc *corev1.Service) string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs[0]
	}
	return tables.NoneIfEmpty(svc.Spec.ClusterIP)
}

// serviceExternalIP renders the EXTERNAL-IP cell. For a LoadBalancer it lists the distinct
// ingress addresses (IP, else hostname) sorted, then the external IPs, or <pending> while
// there are none. The server renders wide output, so nothing is truncated.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return tables.NoneIfEmpty(strings.Join(svc.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		var addrs []string
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			switch {
			case ing.IP != "":
				addrs = append(addrs, ing.IP)
			case ing.Hostname != "":
				addrs = append(addrs, ing.Hostname)
			}
		}
		slices.Sort(addrs)
		addrs = append(slices.Compact(addrs), svc.Spec.ExternalIPs...)
		if len(addrs) == 0 {
			return "<pending>"
		}
		return strings.Join(addrs, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

// servicePorts renders "port/PROTO" or "port:nodePort/PROTO" for each port.
func servicePorts(ports []corev1.ServicePort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		if p.NodePort > 0 {
			parts[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		} else {
			parts[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		}
	}
	return strings.Join(parts, ",")
}
