package tables

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// now is the pinned time every Age cell is measured against.
var now = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func microAgo(d time.Duration) metav1.MicroTime { return metav1.NewMicroTime(now.Add(-d)) }

func objectMeta(name string, created time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "7", CreationTimestamp: ago(created)}
}

func testConvertors() *Convertors {
	return New(clocktesting.NewFakePassiveClock(now))
}

func isList(obj runtime.Object) bool { return meta.IsListType(obj) }

func listItems(obj runtime.Object) ([]runtime.Object, error) { return meta.ExtractList(obj) }

func TestGolden(t *testing.T) {
	t.Parallel()
	c := testConvertors()
	tests := []struct {
		name       string // golden file name
		conv       Convertor
		cases      []tableCase
		extraCells int // cells beyond the columns, where upstream sends them
	}{
		{name: "pods", conv: c.Pods(), cases: podCases()},
		{name: "nodes", conv: c.Nodes(), cases: nodeCases()},
		{name: "services", conv: c.Services(), cases: serviceCases()},
		{name: "endpoints", conv: c.Endpoints(), cases: endpointsCases()},
		{name: "endpointslices", conv: c.EndpointSlices(), cases: endpointSliceCases()},
		{name: "namespaces", conv: c.Namespaces(), cases: namespaceCases()},
		{name: "configmaps", conv: c.ConfigMaps(), cases: configMapCases()},
		{name: "secrets", conv: c.Secrets(), cases: secretCases()},
		{name: "serviceaccounts", conv: c.ServiceAccounts(), cases: serviceAccountCases()},
		{name: "events", conv: c.Events(), cases: eventCases()},
		{name: "events.k8s.io", conv: c.EventsV1(), cases: eventV1Cases()},
		{name: "leases", conv: c.Leases(), cases: leaseCases()},
		{name: "servicecidrs", conv: c.ServiceCIDRs(), cases: serviceCIDRCases()},
		{name: "ipaddresses", conv: c.IPAddresses(), cases: ipAddressCases(), extraCells: 1},
		{name: "resourcequotas", conv: c.ResourceQuotas(), cases: resourceQuotaCases()},
		{name: "limitranges", conv: c.LimitRanges(), cases: limitRangeCases()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkGolden(t, tt.name, renderCases(t, tt.conv, tt.cases, tt.extraCells))
		})
	}
}

// --- pods ---

func pod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: objectMeta(name, 5*time.Minute),
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func scheduled(p *corev1.Pod) { p.Spec.NodeName = "node-1" }

func running(p *corev1.Pod) {
	scheduled(p)
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.5"}}
	p.Status.PodIP = "10.244.1.5"
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue},
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{runningReady("app")}
}

func runningReady(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(4 * time.Minute)}},
	}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name, reason string, exitCode, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: exitCode, Signal: signal, FinishedAt: ago(time.Minute),
	}}}
}

func withRestarts(cs corev1.ContainerStatus, n int32, lastFinished time.Duration) corev1.ContainerStatus {
	cs.RestartCount = n
	cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: ago(lastFinished)}
	return cs
}

func sidecar(name string) corev1.Container {
	return corev1.Container{Name: name, Image: "envoy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}
}

func podCases() []tableCase {
	deleted := metav1.NewTime(now.Add(-10 * time.Second))
	return []tableCase{
		{name: "pending without container statuses", obj: pod("pending")},
		{name: "scheduling gated", obj: pod("gated", func(p *corev1.Pod) {
			p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
		})},
		{name: "nominated node while preempting", obj: pod("nominated", func(p *corev1.Pod) {
			p.Status.NominatedNodeName = "node-2"
		})},
		{name: "container creating", obj: pod("creating", scheduled, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ContainerCreating")}
		})},
		{name: "running and ready", obj: pod("web", running)},
		{name: "dual-stack shows only the first pod IP", obj: pod("web-dual", running, func(p *corev1.Pod) {
			p.Status.PodIPs = []corev1.PodIP{{IP: "fd00:10:244::5"}, {IP: "10.244.1.5"}}
		})},
		{name: "running but not ready", obj: pod("not-ready", running, func(p *corev1.Pod) {
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses[0].Ready = false
		})},
		{name: "readiness gates, one of two true", obj: pod("gates", running, func(p *corev1.Pod) {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/dns"}}
			p.Status.Conditions = append(p.Status.Conditions,
				corev1.PodCondition{Type: "example.com/lb", Status: corev1.ConditionTrue},
				corev1.PodCondition{Type: "example.com/dns", Status: corev1.ConditionFalse})
		})},
		{name: "succeeded shows Completed", obj: pod("job-x", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
		})},
		{name: "failed with Error", obj: pod("job-y", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Error", 1, 0)}
		})},
		{name: "evicted", obj: pod("evicted", scheduled, func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodFailed
			p.Status.Reason = "Evicted"
			p.Status.Message = "The node was low on resource: memory."
		})},
		{name: "crash loop with restarts and last termination", obj: pod("crashy", running, func(p *corev1.Pod) {
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses = []corev1.ContainerStatus{withRestarts(waiting("app", "CrashLoopBackOff"), 5, 3*time.Minute)}
		})},
		{name: "restarts without a last termination time", obj: pod("restarted", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].RestartCount = 2
		})},
		{name: "terminated by signal without reason", obj: pod("killed", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "", 137, 9)}
		})},
		{name: "terminated with exit code without reason", obj: pod("exited", running, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "", 2, 0)}
		})},
		{name: "one container completed while another runs, pod ready", obj: pod("mixed-ready", running, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "helper"})
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0), runningReady("helper")}
		})},
		{name: "one container completed while another runs, pod not ready", obj: pod("mixed-not-ready", running, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "helper"})
			p.Status.Conditions[1].Status = corev1.ConditionFalse
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0), runningReady("helper")}
		})},
		{name: "init container running", obj: pod("init-running", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "setup", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
		})},
		{name: "second of two init containers waiting to initialize", obj: pod("init-second", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "one"}, {Name: "two"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("one", "Completed", 0, 0), waiting("two", "PodInitializing")}
		})},
		{name: "init container failed", obj: pod("init-error", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(terminated("setup", "Error", 1, 0), 3, 2*time.Minute)}
		})},
		{name: "init container crash looping", obj: pod("init-crash", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(waiting("setup", "CrashLoopBackOff"), 4, 30*time.Second)}
		})},
		{name: "init container exit code without reason", obj: pod("init-exit", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("setup", "", 3, 0)}
		})},
		{name: "init container killed by signal", obj: pod("init-signal", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("setup", "", 0, 15)}
			p.Status.InitContainerStatuses[0].State.Terminated.ExitCode = 143
		})},
		{name: "init done, app running, init restarts not counted", obj: pod("init-done", running, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{withRestarts(terminated("setup", "Completed", 0, 0), 2, time.Minute)}
		})},
		{name: "sidecar not yet started", obj: pod("sidecar-starting", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{sidecar("proxy")}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "proxy", Started: ptr.To(false), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
		})},
		{name: "sidecar started, second init container running", obj: pod("sidecar-init", scheduled, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{sidecar("proxy"), {Name: "migrate"}}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{
				withRestarts(runningReady("proxy"), 1, 90*time.Second),
				{Name: "migrate", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			}
		})},
		{name: "sidecar and app running, sidecar restarts counted", obj: pod("sidecar-running", running, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "setup"}, sidecar("proxy")}
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{
				withRestarts(terminated("setup", "Completed", 0, 0), 7, 20*time.Minute),
				withRestarts(runningReady("proxy"), 2, 2*time.Minute),
			}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{withRestarts(runningReady("app"), 1, 3*time.Minute)}
		})},
		{name: "terminating", obj: pod("going", running, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
		})},
		{name: "deleted on a lost node", obj: pod("lost", running, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
			p.Status.Reason = nodeLostReason
		})},
		{name: "deleted after it succeeded", obj: pod("done-deleted", scheduled, func(p *corev1.Pod) {
			p.DeletionTimestamp = &deleted
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
		})},
		{name: "no creation timestamp", obj: pod("ageless", func(p *corev1.Pod) {
			p.CreationTimestamp = metav1.Time{}
		})},
		{name: "list with paging metadata", obj: &corev1.PodList{
			ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "token-1", RemainingItemCount: ptr.To[int64](3)},
			Items:    []corev1.Pod{*pod("a", running), *pod("b")},
		}},
		{name: "empty list", obj: &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "43"}}},
	}
}

// --- nodes ---

func node(name string, mutate ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "9", CreationTimestamp: ago(49 * time.Hour)},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.2"}, {Type: corev1.NodeHostName, Address: name}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.37.2", OSImage: "Debian GNU/Linux 12 (bookworm)",
				KernelVersion: "6.8.0-1-amd64", ContainerRuntimeVersion: "containerd://2.1.0",
			},
		},
	}
	for _, m := range mutate {
		m(n)
	}
	return n
}

func nodeCases() []tableCase {
	return []tableCase{
		{name: "ready worker", obj: node("worker-1")},
		{name: "control plane, dual-stack, with external IP", obj: node("cp-1", func(n *corev1.Node) {
			n.Labels = map[string]string{"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master", "kubernetes.io/hostname": "cp-1"}
			n.Status.Addresses = []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: "fd00::2"},
				{Type: corev1.NodeInternalIP, Address: "172.18.0.3"},
				{Type: corev1.NodeExternalIP, Address: "203.0.113.7"},
				{Type: corev1.NodeExternalIP, Address: "2001:db8::7"},
			}
		})},
		{name: "duplicate and empty role labels", obj: node("roles", func(n *corev1.Node) {
			n.Labels = map[string]string{
				"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "worker",
				"node-role.kubernetes.io/": "", "node-role.kubernetes.io/infra": "true",
			}
		})},
		{name: "not ready and cordoned", obj: node("sick", func(n *corev1.Node) {
			n.Spec.Unschedulable = true
			n.Status.Conditions[0].Status = corev1.ConditionUnknown
		})},
		{name: "no ready condition, no node info, no addresses", obj: node("new", func(n *corev1.Node) {
			n.Status = corev1.NodeStatus{}
			n.Spec.Unschedulable = true
		})},
		{name: "list", obj: &corev1.NodeList{ListMeta: metav1.ListMeta{ResourceVersion: "100"}, Items: []corev1.Node{*node("a"), *node("b")}}},
	}
}

// --- services ---

func service(name string, typ corev1.ServiceType, mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: objectMeta(name, 3*24*time.Hour),
		Spec: corev1.ServiceSpec{
			Type:       typ,
			ClusterIP:  "10.96.12.34",
			ClusterIPs: []string{"10.96.12.34"},
			Selector:   map[string]string{"app": name},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func serviceCases() []tableCase {
	return []tableCase{
		{name: "cluster IP", obj: service("web", corev1.ServiceTypeClusterIP)},
		{name: "dual-stack shows only the primary cluster IP", obj: service("web-dual", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIP = "fd00:10:96::1234"
			s.Spec.ClusterIPs = []string{"fd00:10:96::1234", "10.96.12.35"}
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		})},
		{name: "cluster IP without clusterIPs falls back to clusterIP", obj: service("legacy", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIPs = nil
		})},
		{name: "headless, several selector labels, several ports", obj: service("db", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "None", []string{"None"}
			s.Spec.Selector = map[string]string{"tier": "db", "app": "pg"}
			s.Spec.Ports = []corev1.ServicePort{{Port: 5432, Protocol: corev1.ProtocolTCP}, {Port: 5433, Protocol: corev1.ProtocolUDP}}
		})},
		{name: "cluster IP with external IPs, no selector", obj: service("ext", corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
			s.Spec.ExternalIPs = []string{"198.51.100.1", "198.51.100.2"}
			s.Spec.Selector = nil
		})},
		{name: "node port", obj: service("np", corev1.ServiceTypeNodePort, func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{
				{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP},
				{Name: "dns", Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP},
			}
		})},
		{name: "load balancer pending", obj: service("lb-pending", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.Ports[0].NodePort = 31000
		})},
		{name: "load balancer with IP and hostname ingress, duplicates, external IPs", obj: service("lb", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.Ports[0].NodePort = 31001
			s.Spec.ExternalIPs = []string{"198.51.100.9"}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{
				{IP: "203.0.113.20"},
				{Hostname: "lb.example.com"},
				{IP: "203.0.113.10", Hostname: "ignored.example.com"},
				{IP: "203.0.113.20"},
				{},
			}
		})},
		{name: "load balancer with a long hostname is not truncated", obj: service("lb-host", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "a1b2c3d4e5f6.elb.eu-west-1.amazonaws.com"}}
		})},
		{name: "dual-stack load balancer", obj: service("lb-dual", corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Spec.ClusterIPs = []string{"10.96.12.34", "fd00:10:96::1234"}
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.30"}, {IP: "2001:db8::30"}}
		})},
		{name: "external name", obj: service("upstream", corev1.ServiceTypeExternalName, func(s *corev1.Service) {
			s.Spec.ExternalName = "api.example.com"
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
			s.Spec.Selector, s.Spec.Ports = nil, nil
		})},
		{name: "type not set", obj: service("untyped", "")},
		{name: "list", obj: &corev1.ServiceList{
			ListMeta: metav1.ListMeta{ResourceVersion: "55", Continue: "next"},
			Items:    []corev1.Service{*service("a", corev1.ServiceTypeClusterIP), *service("b", corev1.ServiceTypeNodePort)},
		}},
	}
}

// --- endpoints and endpoint slices ---

func addresses(ips ...string) []corev1.EndpointAddress {
	out := make([]corev1.EndpointAddress, len(ips))
	for i, ip := range ips {
		out[i] = corev1.EndpointAddress{IP: ip}
	}
	return out
}

func endpoints(name string, subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	return &corev1.Endpoints{ObjectMeta: objectMeta(name, 3*24*time.Hour), Subsets: subsets}
}

func endpointsCases() []tableCase {
	http := []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	return []tableCase{
		{name: "no subsets", obj: endpoints("empty")},
		{name: "two addresses, one port", obj: endpoints("web", corev1.EndpointSubset{Addresses: addresses("10.244.1.5", "10.244.2.6"), Ports: http})},
		{name: "more than three addresses", obj: endpoints("big", corev1.EndpointSubset{
			Addresses: addresses("10.244.1.1", "10.244.1.2", "10.244.1.3", "10.244.1.4", "10.244.1.5"), Ports: http,
		})},
		{name: "two ports count each address twice", obj: endpoints("two-ports", corev1.EndpointSubset{
			Addresses: addresses("10.244.1.1", "10.244.1.2"),
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
		})},
		{name: "IPv6 addresses are bracketed", obj: endpoints("v6", corev1.EndpointSubset{Addresses: addresses("fd00:10:244::5"), Ports: http})},
		{name: "headless without ports", obj: endpoints("headless", corev1.EndpointSubset{Addresses: addresses("10.244.1.5", "10.244.2.6")})},
		{name: "only not-ready addresses", obj: endpoints("not-ready", corev1.EndpointSubset{NotReadyAddresses: addresses("10.244.1.5"), Ports: http})},
		{name: "list", obj: &corev1.EndpointsList{
			ListMeta: metav1.ListMeta{ResourceVersion: "77"},
			Items:    []corev1.Endpoints{*endpoints("a"), *endpoints("b", corev1.EndpointSubset{Addresses: addresses("10.0.0.1"), Ports: http})},
		}},
	}
}

func endpointSlice(name string, typ discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...[]string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: objectMeta(name, 90*time.Second), AddressType: typ, Ports: ports}
	for _, addrs := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: addrs})
	}
	return s
}

func endpointSliceCases() []tableCase {
	http := []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80), Protocol: ptr.To(corev1.ProtocolTCP)}}
	return []tableCase{
		{name: "IPv4 slice", obj: endpointSlice("web-abc12", discoveryv1.AddressTypeIPv4, http, []string{"10.244.1.5"}, []string{"10.244.2.6"})},
		{name: "IPv6 slice of a dual-stack service", obj: endpointSlice("web-def34", discoveryv1.AddressTypeIPv6, http, []string{"fd00:10:244::5"})},
		{name: "more than three endpoints and ports", obj: endpointSlice("big-xyz", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}, {Port: ptr.To[int32](443)}, {Port: ptr.To[int32](8080)}, {Port: ptr.To[int32](9090)}},
			[]string{"10.0.0.1", "10.0.0.2"}, []string{"10.0.0.3"}, []string{"10.0.0.4"}, []string{"10.0.0.5"})},
		{name: "port without number shows its name, without either a star", obj: endpointSlice("named", discoveryv1.AddressTypeFQDN,
			[]discoveryv1.EndpointPort{{Name: ptr.To("grpc")}, {}}, []string{"backend.example.com"})},
		{name: "no ports and no endpoints", obj: endpointSlice("empty", discoveryv1.AddressTypeIPv4, nil)},
		{name: "list", obj: &discoveryv1.EndpointSliceList{
			ListMeta: metav1.ListMeta{ResourceVersion: "88", RemainingItemCount: ptr.To[int64](0)},
			Items:    []discoveryv1.EndpointSlice{*endpointSlice("a", discoveryv1.AddressTypeIPv4, http)},
		}},
	}
}

// --- small core resources ---

func namespaceCases() []tableCase {
	active := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default", CreationTimestamp: ago(400 * 24 * time.Hour)}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
	terminating := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "old", CreationTimestamp: ago(36 * time.Hour)}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	return []tableCase{
		{name: "active", obj: active},
		{name: "terminating", obj: terminating},
		{name: "list", obj: &corev1.NamespaceList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}, Items: []corev1.Namespace{*active, *terminating}}},
	}
}

func configMapCases() []tableCase {
	cm := &corev1.ConfigMap{
		ObjectMeta: objectMeta("settings", 12*time.Minute),
		Data:       map[string]string{"a": "1", "b": "2"},
		BinaryData: map[string][]byte{"c": {0}},
	}
	empty := &corev1.ConfigMap{ObjectMeta: objectMeta("empty", 7*time.Second)}
	return []tableCase{
		{name: "text and binary keys count together", obj: cm},
		{name: "no data", obj: empty},
		{name: "list", obj: &corev1.ConfigMapList{Items: []corev1.ConfigMap{*cm, *empty}}},
	}
}

func secretCases() []tableCase {
	opaque := &corev1.Secret{ObjectMeta: objectMeta("creds", time.Hour), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"user": nil, "pass": nil}}
	token := &corev1.Secret{ObjectMeta: objectMeta("sa-token", 2*time.Hour), Type: corev1.SecretTypeServiceAccountToken, Data: map[string][]byte{"token": nil, "ca.crt": nil, "namespace": nil}}
	return []tableCase{
		{name: "opaque", obj: opaque},
		{name: "service account token", obj: token},
		{name: "list", obj: &corev1.SecretList{ListMeta: metav1.ListMeta{ResourceVersion: "3"}, Items: []corev1.Secret{*opaque, *token}}},
	}
}

func serviceAccountCases() []tableCase {
	def := &corev1.ServiceAccount{ObjectMeta: objectMeta("default", 30*24*time.Hour)}
	legacy := &corev1.ServiceAccount{ObjectMeta: objectMeta("legacy", 30*24*time.Hour), Secrets: []corev1.ObjectReference{{Name: "legacy-token"}}}
	return []tableCase{
		{name: "no secrets", obj: def},
		{name: "one secret", obj: legacy},
		{name: "list", obj: &corev1.ServiceAccountList{Items: []corev1.ServiceAccount{*def, *legacy}}},
	}
}

func resourceQuotaCases() []tableCase {
	q := &corev1.ResourceQuota{
		ObjectMeta: objectMeta("compute", 2*time.Hour),
		Status: corev1.ResourceQuotaStatus{
			Hard: corev1.ResourceList{
				"pods": resource.MustParse("10"), "requests.cpu": resource.MustParse("4"),
				"limits.memory": resource.MustParse("8Gi"), "limits.cpu": resource.MustParse("8"),
			},
			Used: corev1.ResourceList{"pods": resource.MustParse("3"), "requests.cpu": resource.MustParse("1500m"), "limits.memory": resource.MustParse("1Gi")},
		},
	}
	empty := &corev1.ResourceQuota{ObjectMeta: objectMeta("new", 2*time.Second)}
	return []tableCase{
		{name: "requests and limits", obj: q},
		{name: "not yet computed", obj: empty},
		{name: "list", obj: &corev1.ResourceQuotaList{Items: []corev1.ResourceQuota{*q}}},
	}
}

func limitRangeCases() []tableCase {
	lr := &corev1.LimitRange{ObjectMeta: objectMeta("defaults", 26*time.Hour)}
	return []tableCase{
		{name: "absolute creation time", obj: lr},
		{name: "list", obj: &corev1.LimitRangeList{ListMeta: metav1.ListMeta{ResourceVersion: "12"}, Items: []corev1.LimitRange{*lr}}},
	}
}

// --- events ---

func eventCases() []tableCase {
	classic := &corev1.Event{
		ObjectMeta:     objectMeta("web.17f1", 10*time.Minute),
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default", FieldPath: "spec.containers{app}"},
		Reason:         "BackOff",
		Message:        "Back-off restarting failed container app\n",
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: ago(10 * time.Minute),
		LastTimestamp:  ago(45 * time.Second),
		Count:          12,
		Type:           corev1.EventTypeWarning,
	}
	series := &corev1.Event{
		ObjectMeta:          objectMeta("web.17f2", 20*time.Minute),
		InvolvedObject:      corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default"},
		Reason:              "Scheduled",
		Message:             "Successfully assigned default/web to node-1",
		EventTime:           microAgo(20 * time.Minute),
		Series:              &corev1.EventSeries{Count: 4, LastObservedTime: microAgo(2 * time.Minute)},
		ReportingController: "default-scheduler",
		ReportingInstance:   "default-scheduler-cp-1",
		Type:                corev1.EventTypeNormal,
	}
	single := &corev1.Event{
		ObjectMeta:          objectMeta("node-1.17f3", time.Hour),
		InvolvedObject:      corev1.ObjectReference{Kind: "Node", Name: "node-1"},
		Reason:              "RegisteredNode",
		Message:             "Node node-1 event: Registered Node node-1 in Controller",
		EventTime:           microAgo(time.Hour),
		ReportingController: "node-controller",
		Type:                corev1.EventTypeNormal,
	}
	noName := &corev1.Event{
		ObjectMeta:     objectMeta("cluster.17f4", 5*time.Hour),
		InvolvedObject: corev1.ObjectReference{Kind: "ClusterIP"},
		Reason:         "Repair",
		Source:         corev1.EventSource{Component: "ipallocator-repair-controller"},
		FirstTimestamp: ago(5 * time.Hour),
		Count:          1,
		Type:           corev1.EventTypeWarning,
	}
	return []tableCase{
		{name: "classic event with count and source host", obj: classic},
		{name: "new-style event with series and reporting controller", obj: series},
		{name: "new-style single event without count", obj: single},
		{name: "object without name, no last timestamp", obj: noName},
		{name: "list", obj: &corev1.EventList{ListMeta: metav1.ListMeta{ResourceVersion: "900"}, Items: []corev1.Event{*classic, *series}}},
	}
}

func eventV1Cases() []tableCase {
	series := &eventsv1.Event{
		ObjectMeta:          objectMeta("web.18a1", 20*time.Minute),
		Regarding:           corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default", FieldPath: "spec.containers{app}"},
		Reason:              "Pulled",
		Note:                "  Container image \"nginx\" already present on machine  ",
		EventTime:           microAgo(20 * time.Minute),
		Series:              &eventsv1.EventSeries{Count: 3, LastObservedTime: microAgo(time.Minute)},
		ReportingController: "kubelet",
		ReportingInstance:   "node-1",
		Action:              "Pull",
		Type:                corev1.EventTypeNormal,
	}
	deprecated := &eventsv1.Event{
		ObjectMeta:               objectMeta("web.18a2", 10*time.Minute),
		Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "web"},
		Reason:                   "BackOff",
		Note:                     "Back-off restarting failed container",
		DeprecatedSource:         corev1.EventSource{Component: "kubelet"},
		DeprecatedFirstTimestamp: ago(10 * time.Minute),
		DeprecatedLastTimestamp:  ago(30 * time.Second),
		DeprecatedCount:          6,
		ReportingInstance:        "node-2",
		Type:                     corev1.EventTypeWarning,
	}
	single := &eventsv1.Event{
		ObjectMeta: objectMeta("ns.18a3", time.Minute),
		Regarding:  corev1.ObjectReference{Kind: "Namespace", Name: "default"},
		Reason:     "Created",
		EventTime:  microAgo(time.Minute),
		Type:       corev1.EventTypeNormal,
	}
	return []tableCase{
		{name: "series", obj: series},
		{name: "deprecated fields from a core/v1 writer", obj: deprecated},
		{name: "single event without count or reporter", obj: single},
		{name: "list", obj: &eventsv1.EventList{ListMeta: metav1.ListMeta{ResourceVersion: "901", Continue: "more"}, Items: []eventsv1.Event{*series}}},
	}
}

// --- networking and coordination ---

func leaseCases() []tableCase {
	held := &coordinationv1.Lease{ObjectMeta: objectMeta("node-1", 3*time.Hour), Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("node-1")}}
	free := &coordinationv1.Lease{ObjectMeta: objectMeta("kube-scheduler", 3*time.Hour)}
	return []tableCase{
		{name: "held", obj: held},
		{name: "no holder", obj: free},
		{name: "list", obj: &coordinationv1.LeaseList{Items: []coordinationv1.Lease{*held, *free}}},
	}
}

func serviceCIDRCases() []tableCase {
	dual := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", CreationTimestamp: ago(6 * 24 * time.Hour)}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/16", "fd00:10:96::/112"}}}
	single := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra", CreationTimestamp: ago(time.Hour)}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.97.0.0/24"}}}
	return []tableCase{
		{name: "dual-stack", obj: dual},
		{name: "single range", obj: single},
		{name: "list", obj: &networkingv1.ServiceCIDRList{ListMeta: metav1.ListMeta{ResourceVersion: "2"}, Items: []networkingv1.ServiceCIDR{*dual, *single}}},
	}
}

func ipAddressCases() []tableCase {
	svc := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: "10.96.12.34", CreationTimestamp: ago(3 * time.Hour)},
		Spec:       networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "web"}},
	}
	v6 := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: "fd00-10-96--1234", CreationTimestamp: ago(3 * time.Hour)},
		Spec:       networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Group: "gateway.networking.k8s.io", Resource: "Gateways", Name: "shared"}},
	}
	orphan := &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.96.0.99", CreationTimestamp: ago(time.Minute)}}
	return []tableCase{
		{name: "service in the core group", obj: svc},
		{name: "cluster-scoped parent in a named group", obj: v6},
		{name: "no parent", obj: orphan},
		{name: "list", obj: &networkingv1.IPAddressList{Items: []networkingv1.IPAddress{*svc, *orphan}}},
	}
}

// --- behaviour shared by all convertors ---

func TestConvertErrors(t *testing.T) {
	t.Parallel()
	c := testConvertors()
	tests := []struct {
		name    string
		conv    Convertor
		obj     runtime.Object
		opts    runtime.Object
		wantErr error
	}{
		{name: "object of another resource", conv: c.Pods(), obj: &corev1.Node{}, wantErr: ErrUnsupportedObject},
		{name: "list of another resource", conv: c.Services(), obj: &corev1.PodList{}, wantErr: ErrUnsupportedObject},
		{name: "core event given to the events.k8s.io convertor", conv: c.EventsV1(), obj: &corev1.Event{}, wantErr: ErrUnsupportedObject},
		{name: "nil interface", conv: c.Nodes(), obj: nil, wantErr: ErrUnsupportedObject},
		{name: "nil pointer of the right type", conv: c.Pods(), obj: (*corev1.Pod)(nil), wantErr: ErrUnsupportedObject},
		{name: "nil list pointer", conv: c.Pods(), obj: (*corev1.PodList)(nil), wantErr: ErrUnsupportedObject},
		{name: "table options of another type", conv: c.Pods(), obj: &corev1.Pod{}, opts: &metav1.ListOptions{}, wantErr: ErrUnsupportedTableOptions},
		{name: "nil table options pointer is fine", conv: c.Pods(), obj: &corev1.Pod{}, opts: (*metav1.TableOptions)(nil)},
		{name: "table options", conv: c.Pods(), obj: &corev1.Pod{}, opts: &metav1.TableOptions{IncludeObject: metav1.IncludeMetadata}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := tt.conv.ConvertToTable(context.Background(), tt.obj, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ConvertToTable() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && table != nil {
				t.Errorf("ConvertToTable() returned a table with error %v", err)
			}
			if err == nil && len(table.Rows) != 1 {
				t.Errorf("ConvertToTable() returned %d rows, want 1", len(table.Rows))
			}
		})
	}
}

// The apiserver sends later watch events with NoHeaders set: rows only.
func TestNoHeaders(t *testing.T) {
	t.Parallel()
	c := testConvertors()
	for _, tt := range []struct {
		name      string
		noHeaders bool
		wantCols  int
	}{
		{name: "headers", noHeaders: false, wantCols: 9},
		{name: "no headers", noHeaders: true, wantCols: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := c.Pods().ConvertToTable(context.Background(), pod("web", running), &metav1.TableOptions{NoHeaders: tt.noHeaders})
			if err != nil {
				t.Fatalf("ConvertToTable: %v", err)
			}
			if got := len(table.ColumnDefinitions); got != tt.wantCols {
				t.Errorf("got %d columns, want %d", got, tt.wantCols)
			}
			if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 9 {
				t.Errorf("got rows %v, want one row of 9 cells", table.Rows)
			}
		})
	}
}

// Tables share nothing: editing one must not change the next.
func TestColumnsAreCopied(t *testing.T) {
	t.Parallel()
	conv := testConvertors().Nodes()
	first, err := conv.ConvertToTable(context.Background(), node("a"), nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	want := append([]metav1.TableColumnDefinition(nil), first.ColumnDefinitions...)
	first.ColumnDefinitions[0].Name = "changed"
	second, err := conv.ConvertToTable(context.Background(), node("a"), nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if diff := cmp.Diff(want, second.ColumnDefinitions); diff != "" {
		t.Errorf("columns changed by editing an earlier table (-want +got):\n%s", diff)
	}
}

// Age cells follow the injected clock, not the wall clock.
func TestClockIsInjected(t *testing.T) {
	t.Parallel()
	clk := clocktesting.NewFakeClock(now)
	conv := New(clk).Namespaces()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: ago(0)}}
	for _, tt := range []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{name: "at creation", want: "0s"},
		{name: "after 90s", advance: 90 * time.Second, want: "90s"},
		{name: "after 3h more", advance: 3 * time.Hour, want: "3h1m"},
		{name: "after 2 days more", advance: 48 * time.Hour, want: "2d3h"},
	} {
		clk.Step(tt.advance)
		table, err := conv.ConvertToTable(context.Background(), ns, nil)
		if err != nil {
			t.Fatalf("%s: ConvertToTable: %v", tt.name, err)
		}
		if got := table.Rows[0].Cells[2]; got != tt.want {
			t.Errorf("%s: age = %v, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewWithNilClockUsesRealClock(t *testing.T) {
	t.Parallel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(time.Now().Add(-5 * time.Hour))}}
	table, err := New(nil).Namespaces().ConvertToTable(context.Background(), ns, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if got := table.Rows[0].Cells[2]; got != "5h" {
		t.Errorf("age = %v, want 5h", got)
	}
}
