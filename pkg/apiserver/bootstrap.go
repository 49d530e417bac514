package apiserver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// systemNamespaces exist on every cluster and can never be deleted.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// bootstrap creates what kube-apiserver creates on start: the system
// namespaces, the "kubernetes" ServiceCIDR holding the service ranges, and
// the default/kubernetes Service on the first address of the primary range
// (with its IPAddress), with Endpoints and EndpointSlice pointing at this
// server. Existing objects are left alone, except that the endpoints follow
// the address the server now serves on.
func bootstrap(ctx context.Context, client kubernetes.Interface, serviceCIDRs []netip.Prefix, dial string) error {
	host, portText, err := net.SplitHostPort(dial)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	for _, name := range systemNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	if err := createServiceCIDR(ctx, client, serviceCIDRs); err != nil {
		return err
	}
	serviceIP := serviceCIDRs[0].Masked().Addr().Next()
	family := corev1.IPv4Protocol
	if serviceIP.Is6() {
		family = corev1.IPv6Protocol
	}
	if err := createIPAddress(ctx, client, serviceIP, family); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       serviceIP.String(),
			ClusterIPs:      []string{serviceIP.String()},
			IPFamilies:      []corev1.IPFamily{family},
			IPFamilyPolicy:  ptr.To(corev1.IPFamilyPolicySingleStack),
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: 443,
				TargetPort: intstr.FromInt32(int32(port))}},
		},
	}
	if _, err := client.CoreV1().Services(metav1.NamespaceDefault).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the kubernetes service: %w", err)
	}
	return reconcileEndpoints(ctx, client, host, int32(port))
}

// createServiceCIDR records the service ranges as the "kubernetes"
// ServiceCIDR, ready, as kube-apiserver's default ServiceCIDR controller does.
func createServiceCIDR(ctx context.Context, client kubernetes.Interface, cidrs []netip.Prefix) error {
	spec := networkingv1.ServiceCIDRSpec{}
	for _, c := range cidrs {
		spec.CIDRs = append(spec.CIDRs, c.Masked().String())
	}
	cidr, err := client.NetworkingV1().ServiceCIDRs().Create(ctx, &networkingv1.ServiceCIDR{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes"}, Spec: spec}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the kubernetes servicecidr: %w", err)
	}
	cidr.Status.Conditions = []metav1.Condition{{
		Type: networkingv1.ServiceCIDRConditionReady, Status: metav1.ConditionTrue,
		Reason: "Ready", Message: "Kubernetes Service CIDR is ready", LastTransitionTime: metav1.Now(),
	}}
	if _, err := client.NetworkingV1().ServiceCIDRs().UpdateStatus(ctx, cidr, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("mark the kubernetes servicecidr ready: %w", err)
	}
	return nil
}

// createIPAddress records that default/kubernetes holds ip, as the service
// IP allocator records every allocation.
func createIPAddress(ctx context.Context, client kubernetes.Interface, ip netip.Addr, family corev1.IPFamily) error {
	_, err := client.NetworkingV1().IPAddresses().Create(ctx, &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: ip.String(), Labels: map[string]string{
			networkingv1.LabelIPAddressFamily: string(family),
			networkingv1.LabelManagedBy:       "ipallocator.k8s.io",
		}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
			Resource: "services", Namespace: metav1.NamespaceDefault, Name: "kubernetes"}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the ipaddress of the kubernetes service: %w", err)
	}
	return nil
}

// reconcileEndpoints points the kubernetes Service's Endpoints and
// EndpointSlice at this server, as kube-apiserver's endpoint reconciler does.
func reconcileEndpoints(ctx context.Context, client kubernetes.Interface, host string, port int32) error {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: host}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: port, Protocol: corev1.ProtocolTCP}},
		}},
	}
	if _, err := client.CoreV1().Endpoints(metav1.NamespaceDefault).Update(ctx, ep, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("write the kubernetes endpoints: %w", err)
	}
	addressType := discoveryv1.AddressTypeIPv4
	if addr.Is6() {
		addressType = discoveryv1.AddressTypeIPv6
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		AddressType: addressType,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{host}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	slices := client.DiscoveryV1().EndpointSlices(metav1.NamespaceDefault)
	existing, err := slices.Get(ctx, "kubernetes", metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = slices.Create(ctx, slice, metav1.CreateOptions{})
	case err == nil:
		slice.ResourceVersion = existing.ResourceVersion
		_, err = slices.Update(ctx, slice, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write the kubernetes endpointslice: %w", err)
	}
	return nil
}

// retryBootstrap runs bootstrap until it succeeds: the server answers
// requests while post-start hooks run, but a request can race its startup.
func retryBootstrap(ctx context.Context, client kubernetes.Interface, serviceCIDRs []netip.Prefix, dial string) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = bootstrap(ctx, client, serviceCIDRs, dial)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("bootstrap: %w (last error: %v)", err, last)
	}
	return nil
}
