package alloc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service"
)

// parseIP parses a cluster IP as the API accepts it (leading zeros in IPv4
// included), IPv4-mapped IPv6 as IPv4.
func parseIP(s string) (netip.Addr, bool) {
	ip := netutils.ParseIPSloppy(s)
	if ip == nil {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}

// newIPAddress is the object that records svc holding ip, as upstream's
// allocator writes it.
func newIPAddress(ip netip.Addr, svc *corev1.Service) *networkingv1.IPAddress {
	family := corev1.IPv4Protocol
	if ip.Is6() {
		family = corev1.IPv6Protocol
	}
	return &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: ip.String(), Labels: map[string]string{
			networkingv1.LabelIPAddressFamily: string(family),
			networkingv1.LabelManagedBy:       managedBy,
		}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
			Group: "", Resource: "services", Namespace: svc.Namespace, Name: svc.Name,
		}},
	}
}

// takeIP records that svc holds ip: the IPAddress object is created, which
// fails if the address already has one. The range is marked first, so that
// concurrent requests in this server do not race for the object. A dry run
// only checks.
func (a *Allocators) takeIP(ctx context.Context, r *allocator.IPRange, ip netip.Addr, svc *corev1.Service, dryRun bool) error {
	if err := r.Allocate(ip); err != nil {
		return err
	}
	if dryRun {
		_, err := a.client.NetworkingV1().IPAddresses().Get(ctx, ip.String(), metav1.GetOptions{})
		switch {
		case err == nil:
			r.Release(ip)
			return allocator.ErrAllocated
		case !apierrors.IsNotFound(err):
			r.Release(ip)
			return err
		}
		return nil
	}
	_, err := a.client.NetworkingV1().IPAddresses().Create(ctx, newIPAddress(ip, svc), metav1.CreateOptions{})
	switch {
	case err == nil:
		return nil
	case apierrors.IsAlreadyExists(err):
		// Someone holds it whom the range did not know of (an IPAddress
		// made by hand); it stays marked as taken.
		return allocator.ErrAllocated
	}
	r.Release(ip)
	return err
}

// takeNextIP takes a free address of r for svc, skipping addresses whose
// IPAddress object exists although the range had them free.
func (a *Allocators) takeNextIP(ctx context.Context, r *allocator.IPRange, svc *corev1.Service, dryRun bool) (netip.Addr, error) {
	for {
		ip, err := r.AllocateNext()
		if err != nil {
			return netip.Addr{}, err
		}
		if dryRun {
			return ip, nil
		}
		_, err = a.client.NetworkingV1().IPAddresses().Create(ctx, newIPAddress(ip, svc), metav1.CreateOptions{})
		switch {
		case err == nil:
			return ip, nil
		case !apierrors.IsAlreadyExists(err):
			r.Release(ip)
			return netip.Addr{}, err
		}
	}
}

// releaseIP deletes the IPAddress of ip if svc holds it, and frees ip in its
// range. Failures are logged: the start-up repair deletes what is left.
func (a *Allocators) releaseIP(ctx context.Context, ip netip.Addr, svc *corev1.Service) {
	logger := klog.FromContext(ctx)
	ipa, err := a.client.NetworkingV1().IPAddresses().Get(ctx, ip.String(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		logger.Error(err, "Release cluster IP", "service", klog.KObj(svc), "ip", ip)
		return
	case ipa.Spec.ParentRef == nil || ipa.Spec.ParentRef.Resource != "services" || ipa.Spec.ParentRef.Group != "" ||
		ipa.Spec.ParentRef.Namespace != svc.Namespace || ipa.Spec.ParentRef.Name != svc.Name:
		// Not this Service's: leave it (and the range's mark) alone.
		return
	default:
		err := a.client.NetworkingV1().IPAddresses().Delete(ctx, ip.String(), metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &ipa.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			logger.Error(err, "Release cluster IP", "service", klog.KObj(svc), "ip", ip)
			return
		}
	}
	if r := a.ranges[familyOfAddr(ip)]; r != nil {
		r.Release(ip)
	}
	logger.V(4).Info("Released cluster IP", "service", klog.KObj(svc), "ip", ip)
}

func familyOfAddr(ip netip.Addr) corev1.IPFamily {
	if ip.Unmap().Is4() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

// allocIPs takes clusterIPs[i] (or, if empty, any address) of ipFamilies[i]
// for each index in idx, in order, writing dynamic picks into clusterIPs.
// Errors are upstream's: 422 on spec.clusterIPs for a requested address, 500
// when the range is full.
func (t *txn) allocIPs(ctx context.Context, svc *corev1.Service, idx ...int) error {
	spec := &svc.Spec
	for _, i := range idx {
		family := spec.IPFamilies[i]
		r := t.a.ranges[family]
		if want := spec.ClusterIPs[i]; want != "" {
			ip, ok := parseIP(want)
			if !ok {
				return apierrors.NewInternalError(fmt.Errorf("failed to parse service IP %q", want))
			}
			// No range of the family: the flags and the ServiceCIDR disagree.
			var err error = &allocator.NotInRangeError{Addr: ip}
			if r != nil {
				err = t.a.takeIP(ctx, r, ip, svc, t.dryRun)
			}
			if err != nil {
				if !isAllocatorError(err) {
					return apierrors.NewInternalError(err)
				}
				return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(
					field.NewPath("spec", "clusterIPs"), spec.ClusterIPs, fmt.Sprintf("failed to allocate IP %v: %v", want, err))})
			}
			t.ips = append(t.ips, ip)
			continue
		}
		var ip netip.Addr
		err := error(allocator.ErrFull)
		if r != nil {
			ip, err = t.a.takeNextIP(ctx, r, svc, t.dryRun)
		}
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP for Service %q: %v", svc.Name, err))
		}
		t.ips = append(t.ips, ip)
		spec.ClusterIPs[i] = ip.String()
		if i == 0 {
			spec.ClusterIP = spec.ClusterIPs[0]
		}
	}
	return nil
}

func isAllocatorError(err error) bool {
	var nir *allocator.NotInRangeError
	return errors.Is(err, allocator.ErrAllocated) || errors.Is(err, allocator.ErrFull) || errors.As(err, &nir)
}

// allocClusterIPs allocates every cluster IP of a Service that needs them
// (create, and a change from ExternalName), in ipFamilies order.
func (t *txn) allocClusterIPs(ctx context.Context, svc *corev1.Service) error {
	if !needsClusterIP(svc) || isHeadless(svc) {
		return nil
	}
	spec := &svc.Spec
	for len(spec.ClusterIPs) < len(spec.IPFamilies) {
		spec.ClusterIPs = append(spec.ClusterIPs, "")
	}
	idx := make([]int, len(spec.IPFamilies))
	for i := range idx {
		idx[i] = i
	}
	return t.allocIPs(ctx, svc, idx...)
}

// updateClusterIPs is upstream's updateClusterIPs: allocate all on a change
// from ExternalName, release all on a change to it, allocate the secondary
// on an upgrade to dual-stack and release it on a downgrade.
func (t *txn) updateClusterIPs(ctx context.Context, svc, old *corev1.Service) error {
	if service.IsMatchingPreferDualStack(svc, old) {
		return nil
	}
	switch {
	case old.Spec.Type == corev1.ServiceTypeExternalName && svc.Spec.Type != corev1.ServiceTypeExternalName:
		return t.allocClusterIPs(ctx, svc)
	case isHeadless(old):
		return nil
	case old.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.Type == corev1.ServiceTypeExternalName:
		for i := range old.Spec.IPFamilies {
			if i < len(old.Spec.ClusterIPs) {
				t.releaseIPLater(old.Spec.ClusterIPs[i])
			}
		}
		return nil
	case len(old.Spec.IPFamilies) == 1 && len(svc.Spec.IPFamilies) == 2:
		if len(svc.Spec.ClusterIPs) < 2 {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, "")
		}
		return t.allocIPs(ctx, svc, 1)
	case len(old.Spec.IPFamilies) == 2 && len(svc.Spec.IPFamilies) == 1 && len(old.Spec.ClusterIPs) > 1:
		t.releaseIPLater(old.Spec.ClusterIPs[1])
	}
	return nil
}
