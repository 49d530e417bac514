package loadbalancer

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// needsUpdate reports whether a Service update can change its load
// balancer, recording upstream's event for the changes upstream reports
// (Type, LoadBalancerSourceRanges, LoadbalancerIP, ExternalIP, UID,
// ExternalTrafficPolicy, HealthCheckNodePort). Unlike upstream it also
// syncs on a change of spec.ipFamilies, which decides the ingress here.
func (c *Controller) needsUpdate(old, cur *corev1.Service) bool {
	oldWants, curWants := wantsLoadBalancer(old), wantsLoadBalancer(cur)
	switch {
	case !oldWants && !curWants:
		return false
	case oldWants != curWants:
		c.eventf(cur, corev1.EventTypeNormal, "Type", "%v -> %v", old.Spec.Type, cur.Spec.Type)
		return true
	case !slices.Equal(old.Spec.LoadBalancerSourceRanges, cur.Spec.LoadBalancerSourceRanges):
		c.eventf(cur, corev1.EventTypeNormal, "LoadBalancerSourceRanges", "%v -> %v",
			old.Spec.LoadBalancerSourceRanges, cur.Spec.LoadBalancerSourceRanges)
		return true
	case !portsEqualForLB(old.Spec.Ports, cur.Spec.Ports),
		old.Spec.SessionAffinity != cur.Spec.SessionAffinity,
		!apiequality.Semantic.DeepEqual(old.Spec.SessionAffinityConfig, cur.Spec.SessionAffinityConfig):
		return true
	case old.Spec.LoadBalancerIP != cur.Spec.LoadBalancerIP:
		c.eventf(cur, corev1.EventTypeNormal, "LoadbalancerIP", "%v -> %v", old.Spec.LoadBalancerIP, cur.Spec.LoadBalancerIP)
		return true
	case len(old.Spec.ExternalIPs) != len(cur.Spec.ExternalIPs):
		c.eventf(cur, corev1.EventTypeNormal, "ExternalIP", "Count: %v -> %v", len(old.Spec.ExternalIPs), len(cur.Spec.ExternalIPs))
		return true
	}
	for i := range old.Spec.ExternalIPs {
		if old.Spec.ExternalIPs[i] != cur.Spec.ExternalIPs[i] {
			c.eventf(cur, corev1.EventTypeNormal, "ExternalIP", "Added: %v", cur.Spec.ExternalIPs[i])
			return true
		}
	}
	switch {
	case !apiequality.Semantic.DeepEqual(old.Annotations, cur.Annotations):
		return true
	case old.UID != cur.UID:
		c.eventf(cur, corev1.EventTypeNormal, "UID", "%v -> %v", old.UID, cur.UID)
		return true
	case old.Spec.ExternalTrafficPolicy != cur.Spec.ExternalTrafficPolicy:
		c.eventf(cur, corev1.EventTypeNormal, "ExternalTrafficPolicy", "%v -> %v", old.Spec.ExternalTrafficPolicy, cur.Spec.ExternalTrafficPolicy)
		return true
	case old.Spec.HealthCheckNodePort != cur.Spec.HealthCheckNodePort:
		c.eventf(cur, corev1.EventTypeNormal, "HealthCheckNodePort", "%v -> %v", old.Spec.HealthCheckNodePort, cur.Spec.HealthCheckNodePort)
		return true
	case !slices.Equal(old.Spec.IPFamilies, cur.Spec.IPFamilies):
		return true
	}
	return false
}

// portsEqualForLB compares what upstream compares of each port: name,
// protocol, port, nodePort and targetPort.
func portsEqualForLB(a, b []corev1.ServicePort) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.ServicePort) bool {
		return x.Name == y.Name && x.Protocol == y.Protocol && x.Port == y.Port &&
			x.NodePort == y.NodePort && x.TargetPort == y.TargetPort
	})
}
