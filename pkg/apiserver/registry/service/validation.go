package service

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// Validate checks a Service about to be created, after SetDefaults, the way
// ValidateServiceCreate does, except for the name and the generic metadata.
//
// Like upstream's, it validates the object as the storage has prepared it:
// clusterIPs normalized (NormalizeClusterIPs), ipFamilies and ipFamilyPolicy
// defaulted (InitIPFamilyFields) and IPs and node ports allocated. Whether an
// IP is in a service CIDR is the allocator's business, not checked here.
func Validate(svc *corev1.Service) field.ErrorList {
	return validateService(svc)
}

// ValidateUpdate checks an update of a Service the way ValidateServiceUpdate
// does, except for metadata: newSvc must be valid on its own, set cluster IPs
// and IP families may not change (only a secondary one may be added, or
// released by going SingleStack), nor may loadBalancerClass on a
// LoadBalancer or an allocated healthCheckNodePort.
//
// As upstream's, it expects newSvc as the storage prepared it: allocated
// values the client left out copied back (PatchAllocatedValues), clusterIPs
// normalized, families defaulted, and the fields of a type the Service left
// dropped (DropTypeDependentFields).
func ValidateUpdate(newSvc, oldSvc *corev1.Service) field.ErrorList {
	svc := newSvc
	allErrs := validateClusterIPsUpdate(oldSvc, svc)
	allErrs = append(allErrs, validateIPFamiliesUpdate(oldSvc, svc)...)
	allErrs = append(allErrs, validateLoadBalancerClass(oldSvc, svc)...)
	if needsHealthCheck(oldSvc) && needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != oldSvc.Spec.HealthCheckNodePort {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "healthCheckNodePort"), "field is immutable"))
	}
	return append(allErrs, validateService(svc)...)
}

func isHeadless(svc *corev1.Service) bool {
	return len(svc.Spec.ClusterIPs) == 1 && svc.Spec.ClusterIPs[0] == corev1.ClusterIPNone
}

var (
	supportedServiceTypes = []corev1.ServiceType{
		corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort,
	}
	supportedSessionAffinities    = []corev1.ServiceAffinity{corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone}
	supportedExternalPolicies     = []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}
	supportedInternalPolicies     = []corev1.ServiceInternalTrafficPolicy{corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal}
	supportedTrafficDistributions = []string{
		corev1.ServiceTrafficDistributionPreferClose,
		corev1.ServiceTrafficDistributionPreferSameZone,
		corev1.ServiceTrafficDistributionPreferSameNode,
	}
)

// servicePortKey mirrors upstream's internal ServicePort, which has no JSON
// tags: duplicate-port errors print their value with these field names.
type servicePortKey struct {
	Name        string
	Protocol    corev1.Protocol
	AppProtocol *string
	Port        int32
	TargetPort  intstr.IntOrString
	NodePort    int32
}

// validateService is upstream's ValidateService without ObjectMeta
// validation, on a service whose clusterIPs are normalized.
func validateService(svc *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	spec := &svc.Spec
	specPath := field.NewPath("spec")
	annotationsPath := field.NewPath("metadata", "annotations")

	hints, hintsSet := svc.Annotations[corev1.DeprecatedAnnotationTopologyAwareHints]
	mode, modeSet := svc.Annotations[corev1.AnnotationTopologyMode]
	if hintsSet && modeSet && hints != mode {
		allErrs = append(allErrs, field.Invalid(annotationsPath.Key(corev1.AnnotationTopologyMode), mode,
			fmt.Sprintf("must match annotations[%s] when both are specified", corev1.DeprecatedAnnotationTopologyAwareHints)))
	}

	headless := isHeadless(svc)
	if len(spec.Ports) == 0 && !headless && spec.Type != corev1.ServiceTypeExternalName {
		allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
	}
	switch spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		if headless {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), spec.ClusterIPs[0], "may not be set to 'None' for LoadBalancer services"))
		}
	case corev1.ServiceTypeNodePort:
		if headless {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), spec.ClusterIPs[0], "may not be set to 'None' for NodePort services"))
		}
	case corev1.ServiceTypeExternalName:
		if len(spec.ClusterIPs) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if len(spec.IPFamilies) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
		}
		if spec.IPFamilyPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
		}
		// The CNAME may end in a dot, to mark it fully qualified.
		if cname := strings.TrimSuffix(spec.ExternalName, "."); cname != "" {
			allErrs = append(allErrs, fieldcheck.Invalid(specPath.Child("externalName"), cname, validation.IsDNS1123Subdomain(cname))...)
		} else {
			allErrs = append(allErrs, field.Required(specPath.Child("externalName"), ""))
		}
	}

	portsPath := specPath.Child("ports")
	names := sets.New[string]()
	for i := range spec.Ports {
		allErrs = append(allErrs, validateServicePort(&spec.Ports[i], len(spec.Ports) > 1, names, portsPath.Index(i))...)
	}

	if spec.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}

	switch spec.SessionAffinity {
	case "":
		allErrs = append(allErrs, field.Required(specPath.Child("sessionAffinity"), ""))
	case corev1.ServiceAffinityClientIP:
		allErrs = append(allErrs, validateClientIPAffinityConfig(spec.SessionAffinityConfig, specPath.Child("sessionAffinityConfig"))...)
	case corev1.ServiceAffinityNone:
		if spec.SessionAffinityConfig != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("sessionAffinityConfig"),
				fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(specPath.Child("sessionAffinity"), spec.SessionAffinity, supportedSessionAffinities))
	}

	allErrs = append(allErrs, ValidateClusterIPsRelatedFields(svc)...)

	for i, ip := range spec.ExternalIPs {
		idxPath := specPath.Child("externalIPs").Index(i)
		if errs := validateLegacyIP(idxPath, ip); len(errs) != 0 {
			allErrs = append(allErrs, errs...)
		} else {
			allErrs = append(allErrs, validateNonSpecialIP(ip, idxPath)...)
		}
	}

	switch {
	case spec.Type == "":
		allErrs = append(allErrs, field.Required(specPath.Child("type"), ""))
	case !sets.New(supportedServiceTypes...).Has(spec.Type):
		allErrs = append(allErrs, field.NotSupported(specPath.Child("type"), spec.Type, supportedServiceTypes))
	}

	if spec.Type == corev1.ServiceTypeClusterIP {
		for i := range spec.Ports {
			if spec.Ports[i].NodePort != 0 {
				allErrs = append(allErrs, field.Forbidden(portsPath.Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
		}
	}

	// A nodePort, and a port, may appear once per protocol.
	nodePorts := sets.New[servicePortKey]()
	for i, p := range spec.Ports {
		if p.NodePort == 0 {
			continue
		}
		key := servicePortKey{Protocol: p.Protocol, NodePort: p.NodePort}
		if nodePorts.Has(key) {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i).Child("nodePort"), p.NodePort))
		}
		nodePorts.Insert(key)
	}
	ports := sets.New[servicePortKey]()
	for i, p := range spec.Ports {
		key := servicePortKey{Protocol: p.Protocol, Port: p.Port}
		if ports.Has(key) {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i), key))
		}
		ports.Insert(key)
	}

	if len(spec.LoadBalancerSourceRanges) > 0 {
		rangesPath := specPath.Child("LoadBalancerSourceRanges") // sic
		if spec.Type != corev1.ServiceTypeLoadBalancer {
			allErrs = append(allErrs, field.Forbidden(rangesPath, "may only be used when `type` is 'LoadBalancer'"))
		}
		for i, v := range spec.LoadBalancerSourceRanges {
			// Space padding is allowed, a leftover of the annotation.
			allErrs = append(allErrs, validateLegacyCIDR(rangesPath.Index(i), strings.TrimSpace(v))...)
		}
	} else if v, ok := svc.Annotations[corev1.AnnotationLoadBalancerSourceRangesKey]; ok {
		p := annotationsPath.Key(corev1.AnnotationLoadBalancerSourceRangesKey)
		if spec.Type != corev1.ServiceTypeLoadBalancer {
			allErrs = append(allErrs, field.Forbidden(p, "may only be used when `type` is 'LoadBalancer'"))
		}
		if v = strings.TrimSpace(v); v != "" {
			for _, cidr := range strings.Split(v, ",") {
				allErrs = append(allErrs, validateLegacyCIDR(p, strings.TrimSpace(cidr))...)
			}
		}
	}

	if spec.AllocateLoadBalancerNodePorts != nil && spec.Type != corev1.ServiceTypeLoadBalancer {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		// Upstream leaves "spec" out of this path.
		allErrs = append(allErrs, field.Required(field.NewPath("allocateLoadBalancerNodePorts"), ""))
	}

	allErrs = append(allErrs, validateLoadBalancerClass(nil, svc)...)
	allErrs = append(allErrs, validateExternalTrafficPolicy(svc)...)

	if spec.InternalTrafficPolicy == nil {
		// Not required for ExternalName, for historical reasons.
		switch spec.Type {
		case corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeClusterIP:
			allErrs = append(allErrs, field.Required(specPath.Child("internalTrafficPolicy"), ""))
		}
	} else if !sets.New(supportedInternalPolicies...).Has(*spec.InternalTrafficPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("internalTrafficPolicy"), *spec.InternalTrafficPolicy, supportedInternalPolicies))
	}

	if td := spec.TrafficDistribution; td != nil && !sets.New(supportedTrafficDistributions...).Has(*td) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("trafficDistribution"), *td, supportedTrafficDistributions))
	}
	return allErrs
}

func validateServicePort(sp *corev1.ServicePort, requireName bool, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if requireName && sp.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if sp.Name != "" {
		allErrs = append(allErrs, fieldcheck.Invalid(fldPath.Child("name"), sp.Name, validation.IsDNS1123Label(sp.Name))...)
		if names.Has(sp.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("name"), sp.Name))
		} else {
			names.Insert(sp.Name)
		}
	}
	allErrs = append(allErrs, fieldcheck.Invalid(fldPath.Child("port"), sp.Port, validation.IsValidPortNum(int(sp.Port)))...)
	allErrs = append(allErrs, fieldcheck.PortProtocol(sp.Protocol, fldPath.Child("protocol"))...)
	allErrs = append(allErrs, fieldcheck.PortNumOrName(sp.TargetPort, fldPath.Child("targetPort"))...)
	if sp.AppProtocol != nil {
		allErrs = append(allErrs, fieldcheck.Invalid(fldPath.Child("appProtocol"), *sp.AppProtocol, validation.IsQualifiedName(*sp.AppProtocol))...)
	}
	// A headless service's targetPort is not checked against its port: the
	// v1 API always tolerated it.
	return allErrs
}

// maxClientIPAffinitySeconds is the longest ClientIP session affinity, a day.
const maxClientIPAffinitySeconds = 86400

func validateClientIPAffinityConfig(cfg *corev1.SessionAffinityConfig, fldPath *field.Path) field.ErrorList {
	when := fmt.Sprintf("when session affinity type is %s", corev1.ServiceAffinityClientIP)
	switch {
	case cfg == nil:
		return field.ErrorList{field.Required(fldPath, when)}
	case cfg.ClientIP == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP"), when)}
	case cfg.ClientIP.TimeoutSeconds == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP").Child("timeoutSeconds"), when)}
	}
	if t := cfg.ClientIP.TimeoutSeconds; *t <= 0 || *t > maxClientIPAffinitySeconds {
		return field.ErrorList{field.Invalid(fldPath.Child("clientIP").Child("timeoutSeconds"), t,
			fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPAffinitySeconds))}
	}
	return nil
}

var (
	supportedIPFamilies       = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	supportedIPFamilyPolicies = []corev1.IPFamilyPolicy{
		corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack, corev1.IPFamilyPolicySingleStack,
	}
)

// ValidateClusterIPsRelatedFields is upstream's function of the same name:
// clusterIP and clusterIPs agree; clusterIPs holds "None" alone or up to two
// IPs, one per family, each of the family ipFamilies names at its index;
// ipFamilies and ipFamilyPolicy hold known values. Nothing is required: the
// allocator runs it before it defaults the families, and again as part of
// Validate once it has.
func ValidateClusterIPsRelatedFields(svc *corev1.Service) field.ErrorList {
	spec := &svc.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		return nil // the fields must be unset; checked by Validate
	}
	var allErrs field.ErrorList
	p := field.NewPath("spec").Child("clusterIPs")
	if spec.ClusterIP != "" {
		if len(spec.ClusterIPs) == 0 {
			allErrs = append(allErrs, field.Required(p, ""))
		} else if spec.ClusterIPs[0] != spec.ClusterIP {
			allErrs = append(allErrs, field.Invalid(p, spec.ClusterIPs, "first value must match `clusterIP`"))
		}
	} else if len(spec.ClusterIPs) != 0 {
		allErrs = append(allErrs, field.Invalid(p, spec.ClusterIPs, "must be empty when `clusterIP` is not specified"))
	}

	familiesPath := field.NewPath("spec", "ipFamilies")
	seen := map[corev1.IPFamily]bool{}
	for i, f := range spec.IPFamilies {
		if !slices.Contains(supportedIPFamilies, f) {
			allErrs = append(allErrs, field.NotSupported(familiesPath.Index(i), f, supportedIPFamilies))
		}
		if seen[f] {
			allErrs = append(allErrs, field.Duplicate(familiesPath.Index(i), f))
		}
		seen[f] = true
	}
	if spec.IPFamilyPolicy != nil && !slices.Contains(supportedIPFamilyPolicies, *spec.IPFamilyPolicy) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("spec", "ipFamilyPolicy"), spec.IPFamilyPolicy, supportedIPFamilyPolicies))
	}

	invalid := false
	for i, ip := range spec.ClusterIPs {
		if i == 0 && ip == corev1.ClusterIPNone {
			if len(spec.ClusterIPs) > 1 {
				invalid = true
				allErrs = append(allErrs, field.Invalid(p, spec.ClusterIPs, "'None' must be the first and only value"))
			}
			continue
		}
		errs := validateLegacyIP(p.Index(i), ip)
		invalid = invalid || len(errs) != 0
		allErrs = append(allErrs, errs...)
	}
	if len(spec.ClusterIPs) > 2 {
		allErrs = append(allErrs, field.Invalid(p, spec.ClusterIPs, "may only hold up to 2 values"))
	}
	// Bad IPs would make the family checks below meaningless.
	if invalid {
		return allErrs
	}
	if len(spec.ClusterIPs) > 1 {
		dualStack, err := netutils.IsDualStackIPStrings(spec.ClusterIPs)
		if err != nil {
			allErrs = append(allErrs, field.InternalError(p, fmt.Errorf("failed to check for dual stack with error:%v", err)))
		}
		if !dualStack {
			allErrs = append(allErrs, field.Invalid(p, spec.ClusterIPs, "may specify no more than one IP for each IP family"))
		}
	}
	if !isHeadless(svc) {
		for i, ip := range spec.ClusterIPs {
			if i >= len(spec.IPFamilies) {
				break
			}
			is6 := netutils.IsIPv6String(ip)
			switch {
			case spec.IPFamilies[i] == corev1.IPv4Protocol && is6:
				allErrs = append(allErrs, field.Invalid(p.Index(i), ip, fmt.Sprintf("expected an IPv4 value as indicated by `ipFamilies[%v]`", i)))
			case spec.IPFamilies[i] == corev1.IPv6Protocol && !is6:
				allErrs = append(allErrs, field.Invalid(p.Index(i), ip, fmt.Sprintf("expected an IPv6 value as indicated by `ipFamilies[%v]`", i)))
			}
		}
	}
	return allErrs
}

// validateClusterIPsUpdate is upstream's validateUpgradeDowngradeClusterIPs:
// the primary cluster IP never changes; a secondary one may be added, or
// released by going SingleStack.
func validateClusterIPsUpdate(oldSvc, svc *corev1.Service) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || oldSvc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if isHeadless(oldSvc) && isHeadless(svc) {
		return nil
	}
	var allErrs field.ErrorList
	p := field.NewPath("spec", "clusterIPs")
	oldIPs, newIPs := oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs
	switch {
	case len(oldIPs) == len(newIPs):
		for i, ip := range oldIPs {
			if ip != newIPs[i] {
				allErrs = append(allErrs, field.Invalid(p.Index(i), newIPs, "may not change once set"))
			}
		}
	case len(oldIPs) > len(newIPs):
		if len(newIPs) == 0 {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "primary clusterIP can not be unset"))
		}
		if len(newIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "may not change once set"))
		}
		if len(newIPs) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
				"must be set to 'SingleStack' when releasing the secondary clusterIP"))
		}
	default:
		if len(oldIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newIPs, "may not change once set"))
		}
	}
	return allErrs
}

// validateIPFamiliesUpdate is upstream's validateUpgradeDowngradeIPFamilies:
// the primary family never changes; a secondary one may be added, or
// released by going SingleStack. Headless Services may change families.
func validateIPFamiliesUpdate(oldSvc, svc *corev1.Service) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || oldSvc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if isHeadless(oldSvc) || isHeadless(svc) {
		return nil
	}
	var allErrs field.ErrorList
	p := field.NewPath("spec", "ipFamilies")
	oldFams, newFams := oldSvc.Spec.IPFamilies, svc.Spec.IPFamilies
	switch {
	case len(oldFams) == len(newFams):
		for i, f := range oldFams {
			if f != newFams[i] {
				// Upstream names index 0 whichever entry changed.
				allErrs = append(allErrs, field.Invalid(p.Index(0), newFams, "may not change once set"))
			}
		}
	case len(oldFams) > len(newFams):
		if len(svc.Spec.ClusterIPs) == 0 {
			allErrs = append(allErrs, field.Invalid(p.Index(0), newFams, "primary ipFamily can not be unset"))
		}
		if len(newFams) > 0 && newFams[0] != oldFams[0] {
			// Upstream shows clusterIPs as the value here.
			allErrs = append(allErrs, field.Invalid(p.Index(0), svc.Spec.ClusterIPs, "may not change once set"))
		}
		if len(newFams) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ipFamilyPolicy"), svc.Spec.IPFamilyPolicy,
				"must be set to 'SingleStack' when releasing the secondary ipFamily"))
		}
	default:
		if len(oldFams) > 0 && len(newFams) > 0 && newFams[0] != oldFams[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), svc.Spec.ClusterIPs, "may not change once set"))
		}
	}
	return allErrs
}

// validateLoadBalancerClass: a qualified name, only on LoadBalancers, fixed
// once a LoadBalancer has it (old is nil on create).
func validateLoadBalancerClass(oldSvc, svc *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec", "loadBalancerClass")
	isLB := svc.Spec.Type == corev1.ServiceTypeLoadBalancer
	if oldSvc != nil && oldSvc.Spec.Type == corev1.ServiceTypeLoadBalancer && isLB {
		o, n := oldSvc.Spec.LoadBalancerClass, svc.Spec.LoadBalancerClass
		if (o == nil) != (n == nil) || (o != nil && *o != *n) {
			allErrs = append(allErrs, field.Invalid(p, n, "may not change once set"))
		}
	}
	if c := svc.Spec.LoadBalancerClass; c != nil {
		if isLB {
			allErrs = append(allErrs, fieldcheck.Invalid(p, *c, validation.IsQualifiedName(*c))...)
		} else {
			allErrs = append(allErrs, field.Forbidden(p, "may only be used when `type` is 'LoadBalancer'"))
		}
	}
	return allErrs
}

func validateExternalTrafficPolicy(svc *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	spec := &svc.Spec
	specPath := field.NewPath("spec")
	if !externallyAccessible(svc) {
		if spec.ExternalTrafficPolicy != "" {
			allErrs = append(allErrs, field.Invalid(specPath.Child("externalTrafficPolicy"), spec.ExternalTrafficPolicy,
				"may only be set for externally-accessible services"))
		}
	} else if spec.ExternalTrafficPolicy == "" {
		allErrs = append(allErrs, field.Required(specPath.Child("externalTrafficPolicy"), ""))
	} else if !sets.New(supportedExternalPolicies...).Has(spec.ExternalTrafficPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("externalTrafficPolicy"), spec.ExternalTrafficPolicy, supportedExternalPolicies))
	}

	hcPath := specPath.Child("healthCheckNodePort")
	if !needsHealthCheck(svc) {
		if spec.HealthCheckNodePort != 0 {
			allErrs = append(allErrs, field.Invalid(hcPath, spec.HealthCheckNodePort,
				"may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		}
	} else if spec.HealthCheckNodePort == 0 {
		// Upstream allocates it before validating; see the package doc.
		allErrs = append(allErrs, field.Required(hcPath, ""))
	} else {
		allErrs = append(allErrs, fieldcheck.Invalid(hcPath, spec.HealthCheckNodePort, validation.IsValidPortNum(int(spec.HealthCheckNodePort)))...)
	}
	return allErrs
}

// validateNonSpecialIP rejects external IPs no client could mean: unspecified,
// loopback and link-local addresses.
func validateNonSpecialIP(value string, fldPath *field.Path) field.ErrorList {
	ip := netutils.ParseIPSloppy(value)
	if ip == nil {
		return field.ErrorList{field.Invalid(fldPath, value, "must be a valid IP address")}
	}
	var allErrs field.ErrorList
	if ip.IsUnspecified() {
		allErrs = append(allErrs, field.Invalid(fldPath, value, fmt.Sprintf("may not be unspecified (%v)", value)))
	}
	if ip.IsLoopback() {
		allErrs = append(allErrs, field.Invalid(fldPath, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	}
	if ip.IsLinkLocalUnicast() {
		allErrs = append(allErrs, field.Invalid(fldPath, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	}
	if ip.IsLinkLocalMulticast() {
		allErrs = append(allErrs, field.Invalid(fldPath, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return allErrs
}

// validateLegacyIP and validateLegacyCIDR validate fields that predate strict
// IP validation. StrictIPCIDRValidation is alpha (off) in v1.37, so leading
// zeros, IPv4-mapped IPv6 and non-canonical forms are accepted, and CIDRs may
// have host bits set.
func validateLegacyIP(fldPath *field.Path, value string) field.ErrorList {
	return validation.IsValidIPForLegacyField(fldPath, value, false, nil)
}

func validateLegacyCIDR(fldPath *field.Path, value string) field.ErrorList {
	return validation.IsValidCIDRForLegacyField(fldPath, value, false, nil)
}
