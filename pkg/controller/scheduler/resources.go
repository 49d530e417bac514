package scheduler

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	resourcehelper "k8s.io/component-helpers/resource"
)

// What kube-scheduler counts for a container that requests no CPU or
// memory when it scores nodes (schedutil.DefaultMilliCPURequest and
// DefaultMemoryRequest): without it, pods that request nothing would all
// land on one node.
const (
	defaultMilliCPURequest = 100
	defaultMemoryRequest   = 200 * 1024 * 1024
)

// resources is what a pod requests or a node offers, in the integer units
// kube-scheduler compares, so that fitting a pod is a few additions rather
// than Quantity arithmetic.
type resources struct {
	milliCPU, memory, ephemeral int64
	// scalar holds extended resources, hugepages and attachable volumes,
	// by name.
	scalar map[corev1.ResourceName]int64
}

// newResources converts list, and returns its pod count apart: a node's
// allocatable pods is not a resource a pod requests.
func newResources(list corev1.ResourceList) (r resources, pods int64) {
	for name, q := range list {
		switch name {
		case corev1.ResourceCPU:
			r.milliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.memory += q.Value()
		case corev1.ResourceEphemeralStorage:
			r.ephemeral += q.Value()
		case corev1.ResourcePods:
			pods += q.Value()
		default:
			if isScalar(name) {
				if r.scalar == nil {
					r.scalar = map[corev1.ResourceName]int64{}
				}
				r.scalar[name] += q.Value()
			}
		}
	}
	return r, pods
}

// isScalar is upstream's IsScalarResourceName: extended resources
// (domain-qualified names outside kubernetes.io), hugepages, prefixed
// native resources and attachable volumes.
func isScalar(name corev1.ResourceName) bool {
	s := string(name)
	switch {
	case strings.HasPrefix(s, corev1.ResourceHugePagesPrefix), strings.HasPrefix(s, corev1.ResourceAttachableVolumesPrefix),
		strings.Contains(s, corev1.ResourceDefaultNamespacePrefix):
		return true
	case !strings.Contains(s, "/"), strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix):
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+s)) == 0
}

func (r *resources) add(o resources) {
	r.milliCPU += o.milliCPU
	r.memory += o.memory
	r.ephemeral += o.ephemeral
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] += v
	}
}

func (r *resources) sub(o resources) {
	r.milliCPU -= o.milliCPU
	r.memory -= o.memory
	r.ephemeral -= o.ephemeral
	for name, v := range o.scalar {
		if r.scalar != nil {
			r.scalar[name] -= v
		}
	}
}

func (r resources) clone() resources {
	out := r
	if r.scalar != nil {
		out.scalar = make(map[corev1.ResourceName]int64, len(r.scalar))
		for k, v := range r.scalar {
			out.scalar[k] = v
		}
	}
	return out
}

func (r resources) isZero() bool {
	if r.milliCPU != 0 || r.memory != 0 || r.ephemeral != 0 {
		return false
	}
	for _, v := range r.scalar {
		if v != 0 {
			return false
		}
	}
	return true
}

// podRequests is what pod takes from its node, as NodeResourcesFit counts
// it (component-helpers' PodRequests): the sum of its containers, or the
// largest init container where that is more, restartable init containers
// (sidecars) added, pod-level requests where set, and the overhead. A
// running pod counts what its status says it was resized to.
func podRequests(pod *corev1.Pod) resources {
	r, _ := newResources(resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{UseStatusResources: true}))
	return r
}

// podNonZero is the CPU and memory the scorers count for pod: its requests,
// with defaultMilliCPURequest and defaultMemoryRequest for each container
// that names neither, unless the pod sets pod-level requests.
func podNonZero(pod *corev1.Pod) (milliCPU, memory int64) {
	opts := resourcehelper.PodResourcesOptions{UseStatusResources: true}
	reqs := resourcehelper.PodRequests(pod, opts)
	if !resourcehelper.IsPodLevelRequestsSet(pod) {
		missing := corev1.ResourceList{}
		if _, ok := reqs[corev1.ResourceCPU]; !ok {
			missing[corev1.ResourceCPU] = *resource.NewMilliQuantity(defaultMilliCPURequest, resource.DecimalSI)
		}
		if _, ok := reqs[corev1.ResourceMemory]; !ok {
			missing[corev1.ResourceMemory] = *resource.NewQuantity(defaultMemoryRequest, resource.DecimalSI)
		}
		if len(missing) > 0 {
			opts.NonMissingContainerRequests = missing
			reqs = resourcehelper.PodRequests(pod, opts)
		}
	}
	cpu, mem := reqs[corev1.ResourceCPU], reqs[corev1.ResourceMemory]
	return cpu.MilliValue(), mem.Value()
}

// hostPort is one host port a pod's container asks for. An empty or
// 0.0.0.0 IP means every address of the node.
type hostPort struct {
	ip       string
	protocol corev1.Protocol
	port     int32
}

const anyIP = "0.0.0.0"

// podHostPorts are the host ports of pod's containers and of its
// restartable init containers, which run beside them; as upstream's
// NodePorts plugin reads them, with TCP and 0.0.0.0 where unset.
func podHostPorts(pod *corev1.Pod) []hostPort {
	var out []hostPort
	add := func(c *corev1.Container) {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: p.HostIP, protocol: p.Protocol, port: p.HostPort}
			if hp.ip == "" {
				hp.ip = anyIP
			}
			if hp.protocol == "" {
				hp.protocol = corev1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	for i := range pod.Spec.InitContainers {
		if c := &pod.Spec.InitContainers[i]; c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c)
		}
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
	return out
}

// conflicts reports whether a and b cannot both be bound on one node:
// same protocol and port, and the same address or either on all of them.
func (a hostPort) conflicts(b hostPort) bool {
	return a.protocol == b.protocol && a.port == b.port && (a.ip == b.ip || a.ip == anyIP || b.ip == anyIP)
}
