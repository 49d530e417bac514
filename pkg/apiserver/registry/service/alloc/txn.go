package alloc

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"
)

// txn is what one create or update took and will give back, like upstream's
// metaTransaction: on success the releases happen; on failure what was
// taken is given back and nothing is released. A dry run takes only
// in memory and gives everything back either way.
type txn struct {
	a      *Allocators
	svc    *corev1.Service // the new object, for IPAddress parent refs and logs
	dryRun bool

	ips   []netip.Addr // taken
	ports []int        // taken

	releaseIPs   []netip.Addr // to release on success
	releasePorts []int
	done         bool
}

func (a *Allocators) newTxn(svc *corev1.Service, dryRun bool) *txn {
	return &txn{a: a, svc: svc, dryRun: dryRun}
}

func (t *txn) releaseIPLater(ip string) {
	if addr, ok := parseIP(ip); ok {
		t.releaseIPs = append(t.releaseIPs, addr)
	}
}

// finish is the FinishFunc: it commits on success and reverts otherwise,
// once.
func (t *txn) finish(ctx context.Context, success bool) {
	if t.done {
		return
	}
	t.done = true
	logger := klog.FromContext(ctx)
	if t.dryRun {
		for _, ip := range t.ips {
			if r := t.a.ranges[familyOfAddr(ip)]; r != nil {
				r.Release(ip)
			}
		}
		for _, p := range t.ports {
			t.a.ports.Release(p)
		}
		return
	}
	if !success {
		for _, ip := range t.ips {
			t.a.releaseIP(ctx, ip, t.svc)
		}
		for _, p := range t.ports {
			t.a.ports.Release(p)
		}
		return
	}
	if len(t.ips) > 0 || len(t.ports) > 0 {
		logger.V(2).Info("Allocated", "service", klog.KObj(t.svc), "clusterIPs", t.ips, "nodePorts", t.ports)
	}
	for _, ip := range t.releaseIPs {
		t.a.releaseIP(ctx, ip, t.svc)
	}
	for _, p := range t.releasePorts {
		t.a.ports.Release(p)
	}
}

// takePort takes a requested node port.
func (t *txn) takePort(p int) error {
	if err := t.a.ports.Allocate(p); err != nil {
		return err
	}
	t.ports = append(t.ports, p)
	return nil
}

// nextPort takes any free node port.
func (t *txn) nextPort() (int, error) {
	p, err := t.a.ports.AllocateNext()
	if err != nil {
		return 0, err
	}
	t.ports = append(t.ports, p)
	return p, nil
}

func nodePortPath(i int) *field.Path {
	return field.NewPath("spec", "ports").Index(i).Child("nodePort")
}

func invalidNodePort(svc *corev1.Service, i int, port int32, err error) error {
	return apierrors.NewInvalid(serviceKind, svc.Name, field.ErrorList{field.Invalid(nodePortPath(i), port, err.Error())})
}

// shouldAllocateNodePorts: NodePort Services always get node ports;
// LoadBalancers unless allocateLoadBalancerNodePorts is false (requested
// ones are still honoured).
func shouldAllocateNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// initNodePorts is upstream's initNodePorts, for a new Service: entries
// with the same port number (53/TCP and 53/UDP) share one node port, the
// one requested by any of them if any.
func (t *txn) initNodePorts(svc *corev1.Service) error {
	ports := svc.Spec.Ports
	byPort := map[int32]int32{}
	for i := range ports {
		sp := &ports[i]
		if sp.NodePort == 0 && !shouldAllocateNodePorts(svc) {
			continue
		}
		shared := byPort[sp.Port]
		switch {
		case shared == 0:
			if want := requestedNodePort(sp.Port, ports); want != 0 {
				if err := t.takePort(int(want)); err != nil {
					return invalidNodePort(svc, i, want, err)
				}
				sp.NodePort = want
			} else {
				p, err := t.nextPort()
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %v", err))
				}
				sp.NodePort = int32(p)
			}
			byPort[sp.Port] = sp.NodePort
		case sp.NodePort == 0:
			sp.NodePort = shared
		case sp.NodePort != shared:
			if err := t.takePort(int(sp.NodePort)); err != nil {
				return invalidNodePort(svc, i, sp.NodePort, err)
			}
		}
	}
	return nil
}

// requestedNodePort is the first node port requested by an entry of port.
func requestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	for _, p := range ports {
		if p.Port == port && p.NodePort != 0 {
			return p.NodePort
		}
	}
	return 0
}

// collectNodePorts returns every node port of svc's entries (a shared one
// once per entry; releasing twice is harmless).
func collectNodePorts(svc *corev1.Service) []int {
	var out []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out = append(out, int(p.NodePort))
		}
	}
	return out
}

// updateNodePorts is upstream's txnUpdateNodePorts without the health
// check port: a change to ClusterIP or ExternalName releases the node
// ports; a NodePort or LoadBalancer takes the requested ports it did not
// have, allocates the missing ones (each entry its own: only creation
// shares by port number) and releases the ones it no longer has.
func (t *txn) updateNodePorts(svc, old *corev1.Service) error {
	if needsNodePort(old) && !needsNodePort(svc) {
		t.releasePorts = append(t.releasePorts, collectNodePorts(old)...)
	}
	if !needsNodePort(svc) {
		return nil
	}
	oldPorts := collectNodePorts(old)
	type protoPort struct {
		proto corev1.Protocol
		port  int32
	}
	var seen []protoPort
	taken := map[int32]bool{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.NodePort == 0 && !shouldAllocateNodePorts(svc) {
			continue
		}
		if sp.NodePort != 0 {
			if !slices.Contains(oldPorts, int(sp.NodePort)) && !taken[sp.NodePort] {
				if err := t.takePort(int(sp.NodePort)); err != nil {
					return invalidNodePort(svc, i, sp.NodePort, err)
				}
				taken[sp.NodePort] = true
			}
		} else {
			p, err := t.nextPort()
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %v", err))
			}
			sp.NodePort = int32(p)
		}
		pp := protoPort{sp.Protocol, sp.NodePort}
		if slices.Contains(seen, pp) {
			// Upstream's text, with its internal struct's printing.
			return fmt.Errorf("duplicate nodePort: {%s %d}", pp.proto, pp.port)
		}
		seen = append(seen, pp)
	}
	newPorts := collectNodePorts(svc)
	for _, p := range oldPorts {
		if !slices.Contains(newPorts, p) {
			t.releasePorts = append(t.releasePorts, p)
		}
	}
	return nil
}

// allocHealthCheckNodePort takes the requested health check node port, or
// any; failures are InternalErrors, as upstream.
func (t *txn) allocHealthCheckNodePort(svc *corev1.Service) error {
	if want := svc.Spec.HealthCheckNodePort; want != 0 {
		if err := t.takePort(int(want)); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", want, err))
		}
		return nil
	}
	p, err := t.nextPort()
	if err != nil {
		// Upstream prints the port it failed to get, which is always 0.
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", p, err))
	}
	svc.Spec.HealthCheckNodePort = int32(p)
	return nil
}

// updateHealthCheckNodePort allocates the health check node port when an
// update makes the Service need one and releases it when it stops needing
// one.
func (t *txn) updateHealthCheckNodePort(svc, old *corev1.Service) error {
	needed, needs := needsHealthCheck(old), needsHealthCheck(svc)
	switch {
	case !needed && needs:
		return t.allocHealthCheckNodePort(svc)
	case needed && !needs && old.Spec.HealthCheckNodePort != 0:
		t.releasePorts = append(t.releasePorts, int(old.Spec.HealthCheckNodePort))
	}
	return nil
}
