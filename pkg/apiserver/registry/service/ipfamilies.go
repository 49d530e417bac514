package service

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Families are the IP families a cluster serves Services in, from its
// --service-cluster-ip-range: Primary is the first range's family (the
// default for new Services), Secondary the second range's, or "" on a
// single-stack cluster.
type Families struct {
	Primary, Secondary corev1.IPFamily
}

// Has reports whether the cluster has a service range of family f.
func (fs Families) Has(f corev1.IPFamily) bool {
	return f != "" && (f == fs.Primary || f == fs.Secondary)
}

// DualStack reports whether the cluster has a range of each family.
func (fs Families) DualStack() bool { return fs.Primary != "" && fs.Secondary != "" }

// otherFamily returns the family that is not f.
func otherFamily(f corev1.IPFamily) corev1.IPFamily {
	if f == corev1.IPv4Protocol {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// familyOf returns the family of a cluster IP, or "unknown" as upstream.
func familyOf(ip string) corev1.IPFamily {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return "unknown"
	case a.Unmap().Is4():
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

func policyOf(svc *corev1.Service) corev1.IPFamilyPolicy {
	if svc.Spec.IPFamilyPolicy == nil {
		return ""
	}
	return *svc.Spec.IPFamilyPolicy
}

func needsClusterIP(svc *corev1.Service) bool { return svc.Spec.Type != corev1.ServiceTypeExternalName }

func needsNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// sameClusterIPs compares the plural field only, as the allocator does;
// sameClusterIPFields (the strategy's) compares the singular one too.
func sameClusterIPs(a, b *corev1.Service) bool {
	return slices.Equal(a.Spec.ClusterIPs, b.Spec.ClusterIPs)
}

func sameClusterIPFields(a, b *corev1.Service) bool {
	return a.Spec.ClusterIP == b.Spec.ClusterIP && sameClusterIPs(a, b)
}

func sameIPFamilies(a, b *corev1.Service) bool {
	return slices.Equal(a.Spec.IPFamilies, b.Spec.IPFamilies)
}

// NormalizeClusterIPs brings clusterIP and clusterIPs in line before anything
// else looks at them (old is nil on create), as upstream's storage does for
// clients that know only the singular field: on create a lone clusterIP
// becomes clusterIPs; on update, leaving clusterIPs out or changing or
// clearing only clusterIP is read as a change of both.
func NormalizeClusterIPs(svc, old *corev1.Service) {
	spec := &svc.Spec
	if old == nil {
		if spec.ClusterIP != "" && len(spec.ClusterIPs) == 0 {
			spec.ClusterIPs = []string{spec.ClusterIP}
		}
		return
	}
	if len(old.Spec.ClusterIPs) > 0 && len(spec.ClusterIPs) == 0 && old.Spec.ClusterIP == spec.ClusterIP {
		spec.ClusterIPs = old.Spec.ClusterIPs
	}
	if old.Spec.ClusterIP == spec.ClusterIP {
		return
	}
	if old.Spec.ClusterIP != "" && spec.ClusterIP == "" {
		if sameClusterIPs(old, svc) {
			spec.ClusterIPs = nil
		}
		return
	}
	if sameClusterIPs(old, svc) {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
}

// PatchAllocatedValues copies what was allocated for old (cluster IPs, node
// ports by port name, the health check node port) into an update that left
// it out, so that re-sending the manifest a Service was created from, or an
// apply that does not own those fields, keeps them instead of failing or
// reallocating.
func PatchAllocatedValues(svc, old *corev1.Service) {
	spec := &svc.Spec
	if needsClusterIP(old) && needsClusterIP(svc) {
		if spec.ClusterIP == "" {
			spec.ClusterIP = old.Spec.ClusterIP
		}
		if len(spec.ClusterIPs) == 0 && len(old.Spec.ClusterIPs) > 0 {
			spec.ClusterIPs = old.Spec.ClusterIPs
		}
	}
	if needsNodePort(old) && needsNodePort(svc) {
		// A node port the new spec already uses on another port entry must
		// not be copied again.
		used := map[int32]bool{}
		inNew := map[int32]bool{}
		for _, p := range spec.Ports {
			if p.NodePort != 0 {
				inNew[p.NodePort] = true
			}
		}
		byName := map[string]int32{}
		for _, p := range old.Spec.Ports {
			if p.NodePort != 0 && inNew[p.NodePort] {
				used[p.NodePort] = true
			}
			byName[p.Name] = p.NodePort
		}
		for i := range spec.Ports {
			if p := &spec.Ports[i]; p.NodePort == 0 && !used[byName[p.Name]] {
				p.NodePort = byName[p.Name]
			}
		}
	}
	if needsHealthCheck(old) && needsHealthCheck(svc) && spec.HealthCheckNodePort == 0 {
		spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

// DropTypeDependentFields clears, on an update that changes the type, the
// fields the new type does not use, as upstream's strategy does: only those
// the client left as they were (an edited field is the client's and fails
// validation instead). What was allocated for them is released by the
// allocator. The load balancer status goes with the LoadBalancer type.
func DropTypeDependentFields(svc, old *corev1.Service) {
	spec := &svc.Spec
	if needsClusterIP(old) && !needsClusterIP(svc) {
		if sameClusterIPFields(old, svc) {
			spec.ClusterIP, spec.ClusterIPs = "", nil
		}
		if sameIPFamilies(old, svc) {
			spec.IPFamilies = nil
		}
		if policyOf(old) == policyOf(svc) {
			spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePort(old) && !needsNodePort(svc) && nodePortsSubset(svc, old) {
		for i := range spec.Ports {
			spec.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheck(old) && !needsHealthCheck(svc) && old.Spec.HealthCheckNodePort == spec.HealthCheckNodePort {
		spec.HealthCheckNodePort = 0
	}
	if old.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		o, n := old.Spec.AllocateLoadBalancerNodePorts, spec.AllocateLoadBalancerNodePorts
		if o != nil && n != nil && *o == *n {
			spec.AllocateLoadBalancerNodePorts = nil
		}
		if ptr.Equal(old.Spec.LoadBalancerClass, spec.LoadBalancerClass) {
			spec.LoadBalancerClass = nil
		}
	}
	if externallyAccessible(old) && !externallyAccessible(svc) && old.Spec.ExternalTrafficPolicy == spec.ExternalTrafficPolicy {
		spec.ExternalTrafficPolicy = ""
	}
	if spec.Type != corev1.ServiceTypeLoadBalancer {
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
}

// nodePortsSubset: svc adds no node port that old did not have.
func nodePortsSubset(svc, old *corev1.Service) bool {
	had := map[int32]bool{}
	for _, p := range old.Spec.Ports {
		had[p.NodePort] = true
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 && !had[p.NodePort] {
			return false
		}
	}
	return true
}

// DefaultOnRead fills in, for Services stored before the fields existed,
// clusterIPs from clusterIP and ipFamilies and ipFamilyPolicy from the
// cluster IPs (headless selectorless Services become RequireDualStack over
// both families, on any cluster, since their endpoints may be of either),
// and drops the internalTrafficPolicy an ExternalName Service never uses.
// primary is the cluster's default family.
func DefaultOnRead(svc *corev1.Service, primary corev1.IPFamily) {
	NormalizeClusterIPs(svc, nil)
	spec := &svc.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		spec.InternalTrafficPolicy = nil
		return
	}
	if len(spec.IPFamilies) > 0 {
		return
	}
	switch {
	case spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0:
		spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		spec.IPFamilies = []corev1.IPFamily{primary, otherFamily(primary)}
	case spec.ClusterIP == corev1.ClusterIPNone:
		spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		spec.IPFamilies = []corev1.IPFamily{primary}
	default:
		spec.IPFamilies = make([]corev1.IPFamily, len(spec.ClusterIPs))
		for i, ip := range spec.ClusterIPs {
			spec.IPFamilies[i] = corev1.IPv4Protocol
			if familyOf(ip) == corev1.IPv6Protocol {
				spec.IPFamilies[i] = corev1.IPv6Protocol
			}
		}
		switch len(spec.IPFamilies) {
		case 1:
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		case 2:
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		}
	}
}

// IsMatchingPreferDualStack reports whether an update of a PreferDualStack
// Service keeps its type, policy, cluster IPs and families. Such a Service is
// left as it is (neither InitIPFamilyFields nor the allocator touches it),
// even if the cluster has since gained or lost a family.
func IsMatchingPreferDualStack(svc, old *corev1.Service) bool {
	if old == nil || svc.Spec.IPFamilyPolicy == nil || old.Spec.Type != svc.Spec.Type {
		return false
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		return false
	}
	if policyOf(svc) != corev1.IPFamilyPolicyPreferDualStack {
		return false
	}
	if old.Spec.IPFamilyPolicy != nil && *old.Spec.IPFamilyPolicy != corev1.IPFamilyPolicyPreferDualStack {
		return false
	}
	return sameClusterIPs(old, svc) && sameIPFamilies(old, svc)
}

// InitIPFamilyFields defaults ipFamilyPolicy and ipFamilies for the
// cluster's families and checks them against clusterIPs and the cluster, in
// upstream's order (initIPFamilyFields; old is nil on create). It returns
// the errors a create or update must fail with (422). It allocates nothing:
// afterwards, clusterIPs[i], given or to be allocated, is of ipFamilies[i].
func InitIPFamilyFields(svc, old *corev1.Service, fams Families) field.ErrorList {
	spec := &svc.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if IsMatchingPreferDualStack(svc, old) {
		return nil
	}
	if spec.IPFamilyPolicy == nil {
		switch {
		case old != nil && old.Spec.IPFamilyPolicy != nil:
			spec.IPFamilyPolicy = ptr.To(*old.Spec.IPFamilyPolicy)
		case spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0:
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		default:
			spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		}
	}
	if errs := ValidateClusterIPsRelatedFields(svc); len(errs) != 0 {
		return errs
	}

	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	var errs field.ErrorList
	if old != nil {
		if *spec.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
			// Going SingleStack without touching the lists is a downgrade;
			// the primary IP cannot change, so keeping it is safe.
			if sameClusterIPs(old, svc) && len(spec.ClusterIPs) > 1 {
				spec.ClusterIPs = spec.ClusterIPs[:1]
			}
			if sameIPFamilies(old, svc) && len(spec.IPFamilies) > 1 {
				spec.IPFamilies = spec.IPFamilies[:1]
			}
		} else {
			if len(spec.ClusterIPs) != 0 && len(spec.ClusterIPs) < len(old.Spec.ClusterIPs) {
				errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"))
			}
			if len(spec.IPFamilies) != 0 && len(spec.IPFamilies) < len(old.Spec.IPFamilies) {
				errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"))
			}
		}
	}
	if *spec.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
		if len(spec.ClusterIPs) == 2 {
			errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(spec.IPFamilies) == 2 {
			errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	// Families of the given IPs fill in missing ipFamilies entries.
	for i, ip := range spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		if i < len(spec.IPFamilies) {
			continue
		}
		f := familyOf(ip)
		if !fams.Has(f) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), spec.ClusterIPs,
				fmt.Sprintf("%s is not configured on this cluster", f)))
			continue
		}
		spec.IPFamilies = append(spec.IPFamilies, f)
	}
	if len(errs) > 0 {
		return errs
	}

	// Headless and selectorless: endpoints may be of any family, so this
	// may ask for both even on a single-stack cluster.
	if spec.ClusterIP == corev1.ClusterIPNone && len(spec.Selector) == 0 {
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = []corev1.IPFamily{fams.Primary}
		}
		if len(spec.IPFamilies) < 2 && *spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
			spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
		}
		return nil
	}

	if *spec.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack && !fams.DualStack() {
		errs = append(errs, field.Invalid(policyPath, spec.IPFamilyPolicy, "this cluster is not configured for dual-stack services"))
	}
	for i, f := range spec.IPFamilies {
		if !fams.Has(f) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), f, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{fams.Primary}
	}
	if *spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack && len(spec.IPFamilies) == 1 && fams.DualStack() {
		spec.IPFamilies = append(spec.IPFamilies, otherFamily(spec.IPFamilies[0]))
	}
	return nil
}
