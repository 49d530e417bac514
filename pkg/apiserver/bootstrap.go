package apiserver

//lint:file-ignore SA1019 kube-apiserver still writes the kubernetes Endpoints, which upstream deprecates.

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service/alloc"
)

// systemNamespaces exist on every cluster and can never be deleted.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// bootstrap creates what kube-apiserver creates on start: the system
// namespaces, the "kubernetes" ServiceCIDR holding the service ranges, and
// the default/kubernetes Service on the first address of the primary range,
// with Endpoints and EndpointSlice pointing at this server. Between the two
// it starts the Service allocators, which read and repair the cluster's
// allocations, so that default/kubernetes takes its IP (and IPAddress) the
// way every Service does. Existing objects are left alone, except that the
// endpoints follow the address the server now serves on.
func bootstrap(ctx context.Context, client kubernetes.Interface, services *alloc.Allocators, serviceCIDRs []netip.Prefix, dial string) error {
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
	if err := reconcileServiceCIDR(ctx, client, serviceCIDRs); err != nil {
		return err
	}
	if err := services.Start(ctx); err != nil {
		return fmt.Errorf("start the service allocators: %w", err)
	}
	serviceIP := serviceCIDRs[0].Masked().Addr().Next()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			Type:            corev1.ServiceTypeClusterIP,
			ClusterIP:       serviceIP.String(),
			ClusterIPs:      []string{serviceIP.String()},
			IPFamilyPolicy:  ptr.To(corev1.IPFamilyPolicySingleStack),
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: 443,
				TargetPort: intstr.FromInt32(int32(port))}},
		},
	}
	// Looked up first, as kube-apiserver's controller does: a create of an
	// existing Service fails on its cluster IP before its name.
	_, err = client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, svc.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = client.CoreV1().Services(metav1.NamespaceDefault).Create(ctx, svc, metav1.CreateOptions{})
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the kubernetes service: %w", err)
	}
	return reconcileEndpoints(ctx, client, host, int32(port))
}

// serviceCIDRController names the events of the default ServiceCIDR, as
// kube-apiserver's controller of it does.
const serviceCIDRController = "kubernetes-service-cidr-controller"

// reconcileServiceCIDR does what kube-apiserver's default ServiceCIDR
// controller does with --service-cluster-ip-range: it creates the
// "kubernetes" ServiceCIDR from the flag and marks it Ready. An existing one
// is kept as it is (the cluster's IPs were allocated from it), except that a
// single-stack one becomes dual-stack when a second range of the other
// family is added behind the same primary. When it and the flag otherwise
// disagree, a Warning event says so, and Services keep taking IPs from the
// ServiceCIDR, as upstream's.
func reconcileServiceCIDR(ctx context.Context, client kubernetes.Interface, cidrs []netip.Prefix) error {
	want := make([]string, len(cidrs))
	for i, c := range cidrs {
		want[i] = c.Masked().String()
	}
	api := client.NetworkingV1().ServiceCIDRs()
	cidr, err := api.Get(ctx, alloc.DefaultServiceCIDRName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cidr, err = api.Create(ctx, &networkingv1.ServiceCIDR{
			ObjectMeta: metav1.ObjectMeta{Name: alloc.DefaultServiceCIDRName}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: want}}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create the kubernetes servicecidr: %w", err)
		}
	case err != nil:
		return fmt.Errorf("read the kubernetes servicecidr: %w", err)
	case len(want) == 2 && len(cidr.Spec.CIDRs) == 1 && cidr.Spec.CIDRs[0] == want[0]:
		cidr.Spec.CIDRs = want
		if cidr, err = api.Update(ctx, cidr, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("upgrade the kubernetes servicecidr to dual-stack: %w", err)
		}
	}
	if !cidr.DeletionTimestamp.IsZero() {
		return nil
	}
	if !slices.Equal(cidr.Spec.CIDRs, want) {
		return recordEvent(ctx, client, &corev1.ObjectReference{Kind: "ServiceCIDR", APIVersion: networkingv1.SchemeGroupVersion.String(),
			Name: cidr.Name, UID: cidr.UID, ResourceVersion: cidr.ResourceVersion}, "KubernetesDefaultServiceCIDRInconsistent",
			fmt.Sprintf("The default ServiceCIDR %v does not match the controller flag configurations %s", cidr.Spec.CIDRs, want))
	}
	if c := apimeta.FindStatusCondition(cidr.Status.Conditions, networkingv1.ServiceCIDRConditionReady); c != nil && c.Status != metav1.ConditionUnknown {
		return nil // Ready already, or False by someone else's hand: left alone
	}
	// Upstream's condition has no reason.
	apimeta.SetStatusCondition(&cidr.Status.Conditions, metav1.Condition{
		Type: networkingv1.ServiceCIDRConditionReady, Status: metav1.ConditionTrue,
		Message: "Kubernetes default Service CIDR is ready", LastTransitionTime: metav1.Now(),
	})
	if _, err := api.UpdateStatus(ctx, cidr, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("mark the kubernetes servicecidr ready: %w", err)
	}
	return nil
}

// recordEvent records a Warning core/v1 event from the ServiceCIDR
// controller about ref (cluster-scoped: in "default").
func recordEvent(ctx context.Context, client kubernetes.Interface, ref *corev1.ObjectReference, reason, message string) error {
	now := metav1.Now()
	host, _ := os.Hostname()
	_, err := client.CoreV1().Events(metav1.NamespaceDefault).Create(ctx, &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", ref.Name, now.UnixNano()), Namespace: metav1.NamespaceDefault},
		InvolvedObject:      *ref,
		Reason:              reason,
		Message:             message,
		Source:              corev1.EventSource{Component: serviceCIDRController, Host: host},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		Type:                corev1.EventTypeWarning,
		ReportingController: serviceCIDRController,
		ReportingInstance:   host,
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("record event %s: %w", reason, err)
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
func retryBootstrap(ctx context.Context, client kubernetes.Interface, services *alloc.Allocators, serviceCIDRs []netip.Prefix, dial string) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = bootstrap(ctx, client, services, serviceCIDRs, dial)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("bootstrap: %w (last error: %v)", err, last)
	}
	return nil
}
