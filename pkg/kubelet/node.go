package kubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	goruntime "runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// KubeletVersion is the version the fake kubelet reports, the Kubernetes
// release fakecluster serves.
const KubeletVersion = "v1.37.2"

// Upstream's node status timing (kubelet defaults): the kubelet looks at
// its status every nodeStatusUpdateFrequency and writes it when something
// changed or nodeStatusReportFrequency has passed; the Lease carries the
// heartbeat in between.
const (
	nodeStatusUpdateFrequency = 10 * time.Second
	nodeStatusReportFrequency = 5 * time.Minute
)

// memoryEvictionThreshold is the kubelet's default hard eviction threshold
// for memory (memory.available<100Mi), which allocatable leaves out.
var memoryEvictionThreshold = resource.MustParse("100Mi")

// DefaultCapacity is what a fake node offers when Config.Capacity is nil:
// a small machine's cpu, memory and disk, and the kubelet's default of 110
// pods.
func DefaultCapacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("4"),
		corev1.ResourceMemory:           resource.MustParse("16393452Ki"),
		corev1.ResourceEphemeralStorage: resource.MustParse("102626232Ki"),
		corev1.ResourcePods:             resource.MustParse("110"),
		"hugepages-1Gi":                 resource.MustParse("0"),
		"hugepages-2Mi":                 resource.MustParse("0"),
	}
}

// allocatable is capacity less the kubelet's default reservations: none for
// system and kube daemons, and the memory eviction threshold.
func allocatable(capacity corev1.ResourceList) corev1.ResourceList {
	out := capacity.DeepCopy()
	if mem, ok := out[corev1.ResourceMemory]; ok {
		mem.Sub(memoryEvictionThreshold)
		if mem.Sign() < 0 {
			mem = resource.MustParse("0")
		}
		out[corev1.ResourceMemory] = mem
	}
	return out
}

// initialNode is the Node the kubelet registers, as upstream's
// initialNode: labels, the attach-detach annotation, and no status (the
// first status update fills it).
func (k *Kubelet) initialNode() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: k.cfg.NodeName,
			Labels: map[string]string{
				corev1.LabelHostname:      k.cfg.NodeName,
				corev1.LabelOSStable:      goruntime.GOOS,
				corev1.LabelArchStable:    goruntime.GOARCH,
				"beta.kubernetes.io/os":   goruntime.GOOS,
				"beta.kubernetes.io/arch": goruntime.GOARCH,
			},
			Annotations: map[string]string{
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
				"node.alpha.kubernetes.io/ttl":                           "0",
			},
		},
	}
}

// nodeStatus is what the kubelet reports about its node at now, keeping
// the transition times of conditions that did not change since old.
func (k *Kubelet) nodeStatus(old *corev1.NodeStatus, now metav1.Time) corev1.NodeStatus {
	capacity := k.cfg.Capacity
	st := corev1.NodeStatus{
		Capacity:    capacity.DeepCopy(),
		Allocatable: allocatable(capacity),
		DaemonEndpoints: corev1.NodeDaemonEndpoints{
			KubeletEndpoint: corev1.DaemonEndpoint{Port: k.cfg.Port},
		},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID:               k.ids.machineID,
			SystemUUID:              k.ids.systemUUID,
			BootID:                  k.ids.bootID,
			KernelVersion:           k.cfg.KernelVersion,
			OSImage:                 k.cfg.OSImage,
			ContainerRuntimeVersion: k.cfg.RuntimeVersion,
			KubeletVersion:          KubeletVersion,
			OperatingSystem:         goruntime.GOOS,
			Architecture:            goruntime.GOARCH,
		},
	}
	for _, ip := range k.cfg.NodeIPs {
		st.Addresses = append(st.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
	}
	st.Addresses = append(st.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: k.cfg.NodeName})
	conds := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
	}
	for i := range conds {
		c := &conds[i]
		c.LastHeartbeatTime, c.LastTransitionTime = now, now
		if old == nil {
			continue
		}
		for _, o := range old.Conditions {
			if o.Type == c.Type && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	st.Conditions = conds
	st.Images = k.images.nodeImages()
	return st
}

// sameStatus reports whether a and b differ only in heartbeat times, so
// the kubelet need not write a until the report frequency says so.
func sameStatus(a, b corev1.NodeStatus) bool {
	a, b = *a.DeepCopy(), *b.DeepCopy()
	for _, s := range []*corev1.NodeStatus{&a, &b} {
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

// registerNode creates the kubelet's Node, or adopts the one a previous run
// (or a user) created, as upstream's registerWithAPIServer does, and writes
// its first status. It returns the Node as stored.
func (k *Kubelet) registerNode(ctx context.Context) (*corev1.Node, error) {
	nodes := k.cfg.Client.CoreV1().Nodes()
	node, err := nodes.Create(ctx, k.initialNode(), metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		node, err = nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("get existing node: %w", err)
		}
		klog.FromContext(ctx).V(2).Info("Node was previously registered", "node", k.cfg.NodeName)
	case err != nil:
		return nil, fmt.Errorf("register node: %w", err)
	default:
		klog.FromContext(ctx).V(2).Info("Successfully registered node", "node", k.cfg.NodeName)
	}
	k.nodeRef.UID = types.UID(k.cfg.NodeName)
	return k.updateNodeStatus(ctx, node, true)
}

// statusPatch is the strategic merge patch from one node status to
// another. The kubelet patches its Node's status, as upstream's does,
// rather than updating the whole object: an update would carry the spec
// it last read, and NodeRestriction refuses a kubelet whose write would
// change its taints, which the node lifecycle controller may have changed
// since.
func statusPatch(from, to corev1.NodeStatus) ([]byte, error) {
	old, err := json.Marshal(corev1.Node{Status: from})
	if err != nil {
		return nil, err
	}
	updated, err := json.Marshal(corev1.Node{Status: to})
	if err != nil {
		return nil, err
	}
	return strategicpatch.CreateTwoWayMergePatch(old, updated, corev1.Node{})
}

// updateNodeStatus writes the node's status if it changed or force is set,
// retrying on conflicts with a fresh read, and returns the Node as stored.
func (k *Kubelet) updateNodeStatus(ctx context.Context, node *corev1.Node, force bool) (*corev1.Node, error) {
	nodes := k.cfg.Client.CoreV1().Nodes()
	var out *corev1.Node
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if node == nil {
			n, err := nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			node = n
		}
		now := metav1.NewTime(k.clock.Now())
		st := k.nodeStatus(&node.Status, now)
		if !force && sameStatus(st, node.Status) {
			out = node
			return nil
		}
		wasReady := nodeReady(&node.Status)
		patch, err := statusPatch(node.Status, st)
		if err != nil {
			return err
		}
		updated, err := nodes.Patch(ctx, k.cfg.NodeName, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
		if err != nil {
			node = nil
			return err
		}
		if !wasReady {
			k.recordNodeStatusEvents()
		}
		out = updated
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update node status: %w", err)
	}
	return out, nil
}

// recordNodeStatusEvents records the events a kubelet records when its
// node's conditions first reach these values.
func (k *Kubelet) recordNodeStatusEvents() {
	for _, reason := range []string{"NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady"} {
		k.recorder.Eventf(k.nodeRef, corev1.EventTypeNormal, reason, "Node %s status is now: %s", k.cfg.NodeName, reason)
	}
}

func nodeReady(st *corev1.NodeStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podCIDRs parses the node's spec.podCIDRs (spec.podCIDR alone on old
// objects); the node IPAM controller sets them after registration.
func podCIDRs(node *corev1.Node) ([]netip.Prefix, error) {
	list := node.Spec.PodCIDRs
	if len(list) == 0 && node.Spec.PodCIDR != "" {
		list = []string{node.Spec.PodCIDR}
	}
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("node %s: pod CIDR %q: %w", node.Name, s, err)
		}
		out = append(out, p)
	}
	return out, nil
}
