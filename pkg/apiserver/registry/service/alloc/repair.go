package alloc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/allocator"
)

// The repair loops' reporting controllers, as upstream's events name them.
const (
	ipRepairController   = "ipallocator-repair-controller"
	portRepairController = "portallocator-repair-controller"
)

// Start reads the cluster's state and repairs it, then lets the hooks
// allocate. It must run once the "kubernetes" ServiceCIDR exists and before
// anything else creates Services; it may be called again after an error.
//
// Like upstream's repair loops on their first pass, it rebuilds the node
// ports from the stored Services (reporting duplicates and ports outside
// the range) and makes the IPAddress objects match the Services' cluster
// IPs: a missing one is recreated, one with a wrong reference replaced, and
// one whose Service is gone or holds other IPs deleted. A cluster IP in no
// service range is reported, not changed. Upstream waits a minute before it
// deletes an IPAddress without a Service, in case its Service is still
// being created; at start-up no create can be in flight (the hooks wait for
// Start), so none is waited for.
func (a *Allocators) Start(ctx context.Context) error {
	select {
	case <-a.ready:
		return nil
	default:
	}
	logger := klog.FromContext(ctx)
	a.logger = logger
	cidr, err := a.client.NetworkingV1().ServiceCIDRs().Get(ctx, DefaultServiceCIDRName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read the %s servicecidr: %w", DefaultServiceCIDRName, err)
	}
	ranges := map[corev1.IPFamily]*allocator.IPRange{}
	for _, c := range cidr.Spec.CIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("servicecidr %s: %w", DefaultServiceCIDRName, err)
		}
		f := familyOfPrefix(p)
		if !a.families.Has(f) || ranges[f] != nil {
			continue
		}
		r, err := allocator.NewIPRange(p, rand64(a))
		if err != nil {
			return fmt.Errorf("servicecidr %s: %w", DefaultServiceCIDRName, err)
		}
		ranges[f] = r
	}
	ports, err := allocator.NewPortAllocator(a.portsIn, rand64(a))
	if err != nil {
		return err
	}
	a.ranges, a.ports = ranges, ports

	services, err := a.client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list services: %w", err)
	}
	ipas, err := a.client.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list ipaddresses: %w", err)
	}
	byName := map[string]*networkingv1.IPAddress{}
	for i := range ipas.Items {
		ipa := &ipas.Items[i]
		byName[ipa.Name] = ipa
		// Every IPAddress takes its address, whoever made it.
		if ip, err := netip.ParseAddr(ipa.Name); err == nil {
			if r := ranges[familyOfAddr(ip)]; r != nil {
				_ = r.Allocate(ip) // outside the range, or taken twice: nothing to mark
			}
		}
	}
	held := map[string]*corev1.Service{} // IP → the Service whose IPAddress it should be
	for i := range services.Items {
		svc := &services.Items[i]
		a.repairNodePorts(ctx, svc)
		if err := a.repairClusterIPs(ctx, svc, byName, held); err != nil {
			return err
		}
	}
	for _, ipa := range ipas.Items {
		if err := a.repairIPAddress(ctx, &ipa, held); err != nil {
			return err
		}
	}
	close(a.ready)
	logger.V(2).Info("Service allocators ready", "ranges", cidr.Spec.CIDRs, "nodePorts", a.portsIn.String(),
		"services", len(services.Items), "ipAddresses", len(ipas.Items))
	return nil
}

func rand64(a *Allocators) *rand.Rand {
	return rand.New(rand.NewPCG(a.rnd.Uint64(), a.rnd.Uint64()))
}

// repairNodePorts marks svc's node ports taken, reporting those another
// Service has too and those outside the range.
func (a *Allocators) repairNodePorts(ctx context.Context, svc *corev1.Service) {
	ports := collectNodePorts(svc)
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 {
		ports = append(ports, int(hc))
	}
	done := map[int]bool{}
	for _, p := range ports {
		// Entries of one port number (53/TCP, 53/UDP) share a node port.
		if done[p] {
			continue
		}
		done[p] = true
		switch err := a.ports.Allocate(p); {
		case err == nil:
		case isNotInRange(err):
			a.event(ctx, svc, portRepairController, "PortOutOfRange", "PortAllocation",
				fmt.Sprintf("Port %d is not within the port range %s; please recreate service", p, a.portsIn))
		default:
			a.event(ctx, svc, portRepairController, "PortAlreadyAllocated", "PortAllocation",
				fmt.Sprintf("Port %d was assigned to multiple services; please recreate service", p))
		}
	}
}

func isNotInRange(err error) bool {
	_, ok := err.(*allocator.NotInRangeError)
	return ok
}

// repairClusterIPs makes sure each cluster IP of svc has its IPAddress.
func (a *Allocators) repairClusterIPs(ctx context.Context, svc *corev1.Service, byName map[string]*networkingv1.IPAddress, held map[string]*corev1.Service) error {
	if !needsClusterIP(svc) || isHeadless(svc) {
		return nil
	}
	for _, s := range svc.Spec.ClusterIPs {
		ip, ok := parseIP(s)
		if !ok {
			a.event(ctx, svc, ipRepairController, "ClusterIPNotValid", "ClusterIPValidation",
				fmt.Sprintf("Cluster IP %s is not a valid IP; please recreate Service", s))
			continue
		}
		family := familyOfAddr(ip)
		r := a.ranges[family]
		if r == nil || !r.Prefix().Contains(ip) {
			a.event(ctx, svc, ipRepairController, "ClusterIPOutOfRange", "ClusterIPAllocation",
				fmt.Sprintf("Cluster IP [%v]: %s is not within any configured Service CIDR; please recreate service", family, ip))
			continue
		}
		name := ip.String()
		if other := held[name]; other != nil {
			a.event(ctx, svc, ipRepairController, "ClusterIPAlreadyAllocated", "ClusterIPAllocation",
				fmt.Sprintf("Cluster IP [%v]:%s was assigned to multiple services; please recreate service", family, ip))
			continue
		}
		held[name] = svc
		ipa := byName[name]
		switch {
		case ipa == nil:
			a.event(ctx, svc, ipRepairController, "ClusterIPNotAllocated", "ClusterIPAllocation",
				fmt.Sprintf("Cluster IP [%v]: %s is not allocated; repairing", family, ip))
			_ = r.Allocate(ip)
			if _, err := a.client.NetworkingV1().IPAddresses().Create(ctx, newIPAddress(ip, svc), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("recreate the ipaddress of %s/%s: %w", svc.Namespace, svc.Name, err)
			}
		case !refersTo(ipa, svc) || ipa.Labels[networkingv1.LabelManagedBy] != managedBy ||
			ipa.Labels[networkingv1.LabelIPAddressFamily] != string(family):
			if ipa.Spec.ParentRef == nil || ipa.Spec.ParentRef.Group != "" || ipa.Spec.ParentRef.Resource != "services" ||
				ipa.Spec.ParentRef.Namespace != svc.Namespace || ipa.Spec.ParentRef.Name != svc.Name {
				a.event(ctx, svc, ipRepairController, "ClusterIPNotAllocated", "ClusterIPAllocation",
					fmt.Sprintf("the ClusterIP [%v]: %s for Service %s/%s has a wrong reference; repairing", family, ip, svc.Namespace, svc.Name))
			}
			err := a.client.NetworkingV1().IPAddresses().Delete(ctx, name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			if _, err := a.client.NetworkingV1().IPAddresses().Create(ctx, newIPAddress(ip, svc), metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("recreate the ipaddress of %s/%s: %w", svc.Namespace, svc.Name, err)
			}
		}
	}
	return nil
}

func refersTo(ipa *networkingv1.IPAddress, svc *corev1.Service) bool {
	ref := ipa.Spec.ParentRef
	return ref != nil && ref.Group == "" && ref.Resource == "services" && ref.Namespace == svc.Namespace && ref.Name == svc.Name
}

// repairIPAddress deletes an IPAddress the service allocator made that no
// Service holds.
func (a *Allocators) repairIPAddress(ctx context.Context, ipa *networkingv1.IPAddress, held map[string]*corev1.Service) error {
	if ipa.Labels[networkingv1.LabelManagedBy] != managedBy {
		return nil // not the allocator's
	}
	ref := ipa.Spec.ParentRef
	svc := held[ipa.Name]
	switch {
	case svc != nil:
		return nil // checked, or recreated, above
	case ref == nil || ref.Group != "" || ref.Resource != "services":
		a.event(ctx, ipa, ipRepairController, "IPAddressNotAllocated", "IPAddressAllocation",
			fmt.Sprintf("IPAddress %s appears to have been modified, not referencing a Service %v: cleaning up", ipa.Name, ref))
	default:
		_, err := a.client.CoreV1().Services(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			a.event(ctx, ipa, ipRepairController, "IPAddressNotAllocated", "IPAddressAllocation",
				fmt.Sprintf("IPAddress: %s for Service %s/%s appears to have leaked: cleaning up", ipa.Name, ref.Namespace, ref.Name))
		case err != nil:
			return err
		default:
			a.event(ctx, ipa, ipRepairController, "IPAddressWrongReference", "IPAddressAllocation",
				fmt.Sprintf("IPAddress: %s for Service %s/%s has a wrong reference; cleaning up", ipa.Name, ref.Namespace, ref.Name))
		}
	}
	err := a.client.NetworkingV1().IPAddresses().Delete(ctx, ipa.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ipa.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	if ip, err := netip.ParseAddr(ipa.Name); err == nil {
		if r := a.ranges[familyOfAddr(ip)]; r != nil {
			r.Release(ip)
		}
	}
	return nil
}

// event records a Warning event about obj as upstream's repair loops do
// (events.k8s.io/v1; cluster-scoped objects' events go to "default"). A
// failure to record is only logged.
func (a *Allocators) event(ctx context.Context, obj metav1.Object, controller, reason, action, note string) {
	logger := klog.FromContext(ctx)
	logger.Info("Service allocation repair", "reason", reason, "note", note)
	ref := corev1.ObjectReference{Name: obj.GetName(), Namespace: obj.GetNamespace(), UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion()}
	switch obj.(type) {
	case *corev1.Service:
		ref.Kind, ref.APIVersion = "Service", "v1"
	case *networkingv1.IPAddress:
		ref.Kind, ref.APIVersion = "IPAddress", networkingv1.SchemeGroupVersion.String()
	}
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	host, _ := os.Hostname()
	now := time.Now()
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", ref.Name, now.UnixNano()), Namespace: ns},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: controller,
		ReportingInstance:   controller + "-" + host,
		Action:              action,
		Reason:              reason,
		Regarding:           ref,
		Note:                note,
		Type:                corev1.EventTypeWarning,
	}
	if _, err := a.client.EventsV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		logger.Error(err, "Record event", "reason", reason)
	}
}
