package alloc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/util/dryrun"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service"
)

// DefaultServiceCIDRName is the ServiceCIDR holding the
// --service-cluster-ip-range ranges; cluster IPs are allocated from it.
const DefaultServiceCIDRName = "kubernetes"

// managedBy is the IPAddress label value of upstream's service IP allocator.
const managedBy = "ipallocator.k8s.io"

// serviceKind names Services in Invalid errors (`Service "x" is invalid`).
var serviceKind = schema.GroupKind{Kind: "Service"}

// Config is what the Allocators need.
type Config struct {
	// ServiceCIDRs are the --service-cluster-ip-range ranges, primary
	// first: they decide the cluster's families and default family. The
	// addresses themselves come from the "kubernetes" ServiceCIDR object,
	// which Start reads (upstream keeps that object when the flag changes).
	ServiceCIDRs []netip.Prefix
	// NodePorts is the --service-node-port-range; zero means 30000-32767.
	NodePorts allocator.PortRange
	// Client reaches this API server; IPAddresses and events are written
	// through it, as kube-apiserver's allocator and repair loops do.
	Client kubernetes.Interface
	// Rand seeds where dynamic allocation starts; nil means random.
	Rand *rand.Rand
}

// Allocators allocate the cluster IPs and node ports of Services. Their
// hooks wait until Start has read the cluster's state.
type Allocators struct {
	families service.Families
	flags    []netip.Prefix
	client   kubernetes.Interface
	portsIn  allocator.PortRange
	rnd      *rand.Rand

	// ready is closed once Start succeeded; the fields below are set
	// before and only read after.
	ready  chan struct{}
	ranges map[corev1.IPFamily]*allocator.IPRange // nil: the ServiceCIDR has no range of that family
	ports  *allocator.PortAllocator
	logger klog.Logger
}

// New returns Allocators for cfg; Start must run before they allocate.
func New(cfg Config) (*Allocators, error) {
	if len(cfg.ServiceCIDRs) == 0 || len(cfg.ServiceCIDRs) > 2 || cfg.Client == nil {
		return nil, errors.New("service allocators need one or two service CIDRs and a client")
	}
	a := &Allocators{flags: cfg.ServiceCIDRs, client: cfg.Client, portsIn: cfg.NodePorts, rnd: cfg.Rand, ready: make(chan struct{}), logger: klog.Background()}
	a.families.Primary = familyOfPrefix(cfg.ServiceCIDRs[0])
	if len(cfg.ServiceCIDRs) == 2 {
		a.families.Secondary = familyOfPrefix(cfg.ServiceCIDRs[1])
		if a.families.Secondary == a.families.Primary {
			return nil, fmt.Errorf("service CIDRs %v and %v must be of different IP families", cfg.ServiceCIDRs[0], cfg.ServiceCIDRs[1])
		}
	}
	if a.portsIn.Size == 0 {
		a.portsIn = allocator.PortRange{Base: 30000, Size: 2768}
	}
	if a.rnd == nil {
		a.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return a, nil
}

func familyOfPrefix(p netip.Prefix) corev1.IPFamily {
	if p.Addr().Unmap().Is4() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

// Families returns the cluster's service IP families.
func (a *Allocators) Families() service.Families { return a.families }

// Ready is closed once Start has succeeded.
func (a *Allocators) Ready() <-chan struct{} { return a.ready }

// waitReady holds a request until Start has read the cluster's state: an
// allocation before that could hand out a node port a stored Service has.
func (a *Allocators) waitReady(ctx context.Context) error {
	select {
	case <-a.ready:
		return nil
	default:
	}
	select {
	case <-a.ready:
		return nil
	case <-ctx.Done():
		return apierrors.NewServiceUnavailable("the service IP and node port allocators are not ready yet")
	}
}

var _ service.Allocator = (*Allocators)(nil)

// BeginCreate is the services store's BeginCreate hook: it normalizes
// clusterIPs, defaults and checks the IP families and allocates cluster IPs,
// node ports and the health check node port, before the strategy validates
// the Service. What it takes is given back if the create fails.
func (a *Allocators) BeginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	svc := obj.(*corev1.Service)
	service.NormalizeClusterIPs(svc, nil)
	if err := a.waitReady(ctx); err != nil {
		return nil, err
	}
	if errs := service.InitIPFamilyFields(svc, nil, a.families); len(errs) > 0 {
		return nil, apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}
	t := a.newTxn(svc, dryrun.IsDryRun(options.DryRun))
	err := t.allocClusterIPs(ctx, svc)
	if err == nil && needsNodePort(svc) {
		err = t.initNodePorts(svc)
	}
	if err == nil && needsHealthCheck(svc) {
		err = t.allocHealthCheckNodePort(svc)
	}
	if err != nil {
		t.finish(ctx, false)
		return nil, err
	}
	return t.finish, nil
}

// BeginUpdate is the services store's BeginUpdate hook (PUT, patches and
// server-side apply): it keeps allocated values the client left out,
// normalizes clusterIPs, defaults and checks the IP families, and allocates
// or releases what a type change, upgrade to or downgrade from dual-stack, or
// node port change needs. Releases wait for the update to succeed;
// allocations are given back if it fails.
func (a *Allocators) BeginUpdate(ctx context.Context, obj, old runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	service.DefaultOnRead(oldSvc, a.families.Primary)
	service.PatchAllocatedValues(svc, oldSvc)
	service.NormalizeClusterIPs(svc, oldSvc)
	if err := a.waitReady(ctx); err != nil {
		return nil, err
	}
	if errs := service.InitIPFamilyFields(svc, oldSvc, a.families); len(errs) > 0 {
		return nil, apierrors.NewInvalid(serviceKind, svc.Name, errs)
	}
	t := a.newTxn(svc, dryrun.IsDryRun(options.DryRun))
	err := t.updateClusterIPs(ctx, svc, oldSvc)
	if err == nil {
		err = t.updateNodePorts(svc, oldSvc)
	}
	if err == nil {
		err = t.updateHealthCheckNodePort(svc, oldSvc)
	}
	if err != nil {
		t.finish(ctx, false)
		return nil, err
	}
	return t.finish, nil
}

// AfterDelete is the services store's AfterDelete hook: a deleted Service's
// cluster IPs and node ports are released, and its Endpoints deleted, as
// upstream does in case the endpoints controller lags behind a new Service
// of the same name.
func (a *Allocators) AfterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	if dryrun.IsDryRun(options.DryRun) {
		return
	}
	select {
	case <-a.ready:
	default:
		// A delete served before Start finished (the API listens while
		// it repairs): there is nothing to release yet, and Start's
		// repair, which reads the Services left, frees what this one held.
		return
	}
	svc := obj.(*corev1.Service)
	service.DefaultOnRead(svc, a.families.Primary)
	ctx, cancel := context.WithTimeout(klog.NewContext(context.Background(), a.logger), 30*time.Second)
	defer cancel()
	err := a.client.CoreV1().Endpoints(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		a.logger.Error(err, "Delete the endpoints of a deleted service", "service", klog.KObj(svc))
	}
	if needsClusterIP(svc) && !isHeadless(svc) {
		for _, ip := range svc.Spec.ClusterIPs {
			if addr, ok := parseIP(ip); ok {
				a.releaseIP(ctx, addr, svc)
			}
		}
	}
	for _, p := range collectNodePorts(svc) {
		a.ports.Release(p)
	}
	if needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort > 0 {
		a.ports.Release(int(svc.Spec.HealthCheckNodePort))
	}
}

// Decorate is the services store's Decorator: Services stored before the IP
// family fields existed read as if they had them (service.DefaultOnRead).
func (a *Allocators) Decorate(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Service:
		service.DefaultOnRead(o, a.families.Primary)
	case *corev1.ServiceList:
		for i := range o.Items {
			service.DefaultOnRead(&o.Items[i], a.families.Primary)
		}
	}
}

func needsClusterIP(svc *corev1.Service) bool { return svc.Spec.Type != corev1.ServiceTypeExternalName }

func needsNodePort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

func needsHealthCheck(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func isHeadless(svc *corev1.Service) bool {
	return len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIPs[0] == corev1.ClusterIPNone
}
