package node

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// validateNode is the pod CIDR part of kube-apiserver's ValidateNode: each
// of spec.podCIDRs a CIDR (legacy parsing, as StrictIPCIDRValidation is off
// in v1.37), and two only when they are of different families, since a
// node's pods get at most one address of each.
func validateNode(_ context.Context, obj runtime.Object) field.ErrorList {
	cidrs := obj.(*corev1.Node).Spec.PodCIDRs
	path := field.NewPath("spec", "podCIDRs")
	var errs field.ErrorList
	for i, cidr := range cidrs {
		errs = append(errs, validation.IsValidCIDRForLegacyField(path.Index(i), cidr, false, nil)...)
	}
	if len(errs) == 0 && len(cidrs) > 1 {
		if dual, err := netutils.IsDualStackCIDRStrings(cidrs); err != nil || !dual || len(cidrs) > 2 {
			errs = append(errs, field.Invalid(path, cidrs, "may specify no more than one CIDR for each IP family"))
		}
	}
	return errs
}

// validateNodeUpdate is validateNode and the podCIDR part of kube-apiserver's
// ValidateNodeUpdate: once a Node has pod CIDRs (which the node IPAM
// controller sets), they never change, since pods on the Node already use
// them. Upstream compares podCIDRs after conversion has filled it from
// podCIDR, so a client that sets only podCIDR is held to it too.
func validateNodeUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if errs := validateNode(ctx, obj); len(errs) > 0 {
		return errs
	}
	cur, prev := nodePodCIDRs(obj.(*corev1.Node)), nodePodCIDRs(old.(*corev1.Node))
	if len(prev) == 0 {
		return nil
	}
	path := field.NewPath("spec", "podCIDRs")
	const detail = `node updates may not change podCIDR except from "" to valid`
	if len(cur) != len(prev) {
		return field.ErrorList{field.Forbidden(path, detail)}
	}
	var errs field.ErrorList
	for i := range prev {
		if cur[i] != prev[i] {
			errs = append(errs, field.Forbidden(path, detail))
		}
	}
	return errs
}

// nodePodCIDRs is spec.podCIDRs as kube-apiserver sees it: podCIDRs, or
// podCIDR alone when podCIDRs is empty.
func nodePodCIDRs(n *corev1.Node) []string {
	if len(n.Spec.PodCIDRs) == 0 && n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return n.Spec.PodCIDRs
}
