package scheduler

import (
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
)

// podInfo is a pod with what the filters and scorers read of it worked out
// once, when the pod is added, not for every node it is checked against.
type podInfo struct {
	key                    string
	pod                    *corev1.Pod
	req                    resources
	nonZeroCPU, nonZeroMem int64
	ports                  []hostPort
	priority               int32
	// claims are the claims its volumes name.
	claims []podClaim
}

func newPodInfo(pod *corev1.Pod) *podInfo {
	p := &podInfo{key: podKey(pod), pod: pod, req: podRequests(pod), ports: podHostPorts(pod),
		priority: corev1helpers.PodPriority(pod), claims: podClaims(pod)}
	p.nonZeroCPU, p.nonZeroMem = podNonZero(pod)
	return p
}

func podKey(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// nodeInfo is one node and what its pods take from it: kube-scheduler's
// NodeInfo, reduced to what the filters here read.
type nodeInfo struct {
	name string
	// node is nil while pods name a node the cache has not seen (yet, or
	// any more).
	node        *corev1.Node
	allocatable resources
	allowedPods int64
	// requested is what the pods ask for; nonZeroCPU and nonZeroMem count
	// the defaults for containers that ask for nothing, for scoring.
	requested              resources
	nonZeroCPU, nonZeroMem int64
	pods                   map[string]*podInfo
	ports                  []hostPort
}

func newNodeInfo(name string) *nodeInfo {
	return &nodeInfo{name: name, pods: map[string]*podInfo{}}
}

func (n *nodeInfo) setNode(node *corev1.Node) {
	n.node = node
	n.allocatable, n.allowedPods = newResources(node.Status.Allocatable)
}

func (n *nodeInfo) addPod(p *podInfo) {
	n.pods[p.key] = p
	n.requested.add(p.req)
	n.nonZeroCPU += p.nonZeroCPU
	n.nonZeroMem += p.nonZeroMem
	n.ports = append(n.ports, p.ports...)
}

func (n *nodeInfo) removePod(key string) {
	p, ok := n.pods[key]
	if !ok {
		return
	}
	delete(n.pods, key)
	n.requested.sub(p.req)
	n.nonZeroCPU -= p.nonZeroCPU
	n.nonZeroMem -= p.nonZeroMem
	for _, hp := range p.ports {
		if i := slices.Index(n.ports, hp); i >= 0 {
			n.ports = slices.Delete(n.ports, i, i+1)
		}
	}
}

// clone is a copy that pods can be added to and removed from without
// touching n: for preemption's what-ifs and for nominated pods.
func (n *nodeInfo) clone() *nodeInfo {
	c := *n
	c.requested = n.requested.clone()
	c.pods = make(map[string]*podInfo, len(n.pods))
	for k, v := range n.pods {
		c.pods[k] = v
	}
	c.ports = slices.Clone(n.ports)
	return &c
}

// cachedPod is where the cache counts a pod: on node, either because the
// API says so or, if assumed, because this scheduler bound it there and the
// informer has not shown the binding yet.
type cachedPod struct {
	info    *podInfo
	node    string
	assumed bool
}

// schedCache is the scheduler's picture of the nodes and what their pods
// take from them. It is updated from the informers and, at once, from the
// scheduler's own decisions (assume), so that the next pod is placed
// knowing where the last went without waiting for the watch.
type schedCache struct {
	mu    sync.Mutex
	nodes map[string]*nodeInfo
	// names lists the nodes the cache has seen, sorted, in the order the
	// scheduler visits them.
	names []string
	pods  map[string]*cachedPod
	// nominated holds the pending pods that preemption made room for, by
	// node: the filters count those of equal or higher priority as already
	// there, so that no other pod takes their room.
	nominated   map[string]map[string]*podInfo
	nominatedOn map[string]string
	// assumedPVs and assumedNodes are the volume bindings in flight, as
	// upstream's assume caches: volumes pre-bound to a claim
	// (namespace/name), and claims' selected nodes.
	assumedPVs, assumedNodes map[string]string
}

func newCache() *schedCache {
	return &schedCache{nodes: map[string]*nodeInfo{}, pods: map[string]*cachedPod{},
		nominated: map[string]map[string]*podInfo{}, nominatedOn: map[string]string{},
		assumedPVs: map[string]string{}, assumedNodes: map[string]string{}}
}

// nodeLocked returns the nodeInfo of name, making an empty one if need be.
func (c *schedCache) nodeLocked(name string) *nodeInfo {
	n, ok := c.nodes[name]
	if !ok {
		n = newNodeInfo(name)
		c.nodes[name] = n
	}
	return n
}

// setNode adds or updates node.
func (c *schedCache) setNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeLocked(node.Name)
	if n.node == nil {
		i, _ := slices.BinarySearch(c.names, node.Name)
		c.names = slices.Insert(c.names, i, node.Name)
	}
	n.setNode(node)
}

// removeNode forgets node name; its pods keep counting against the name in
// case it comes back before they go.
func (c *schedCache) removeNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok || n.node == nil {
		return
	}
	n.node = nil
	if i, found := slices.BinarySearch(c.names, name); found {
		c.names = slices.Delete(c.names, i, i+1)
	}
	if len(n.pods) == 0 {
		delete(c.nodes, name)
	}
}

// setPod counts pod, which the API shows bound, on its node: it confirms an
// assumed pod, moves a pod the API bound elsewhere, and takes a pod that
// has finished (Succeeded or Failed) off its node, as its resources are
// free again.
func (c *schedCache) setPod(pod *corev1.Pod) {
	key := podKey(pod)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removePodLocked(key)
	if terminal(pod) {
		return
	}
	c.clearNominatedLocked(key)
	info := newPodInfo(pod)
	c.pods[key] = &cachedPod{info: info, node: pod.Spec.NodeName}
	c.nodeLocked(pod.Spec.NodeName).addPod(info)
}

// removePod forgets a pod the API no longer has (or no longer has bound).
func (c *schedCache) removePod(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removePodLocked(key)
	c.clearNominatedLocked(key)
}

func (c *schedCache) removePodLocked(key string) {
	cp, ok := c.pods[key]
	if !ok {
		return
	}
	delete(c.pods, key)
	if n, ok := c.nodes[cp.node]; ok {
		n.removePod(key)
		if n.node == nil && len(n.pods) == 0 {
			delete(c.nodes, cp.node)
		}
	}
}

// assumeLocked counts info on node before the binding is written, as
// kube-scheduler's AssumePod.
func (c *schedCache) assumeLocked(info *podInfo, node string) {
	c.removePodLocked(info.key)
	c.clearNominatedLocked(info.key)
	c.pods[info.key] = &cachedPod{info: info, node: node, assumed: true}
	c.nodeLocked(node).addPod(info)
}

// forget takes back an assumed pod whose binding failed. A pod the
// informer has meanwhile shown bound stays.
func (c *schedCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp, ok := c.pods[key]; ok && cp.assumed {
		c.removePodLocked(key)
	}
}

// isAssumed reports whether key is bound by this scheduler and not yet
// shown bound by the informer.
func (c *schedCache) isAssumed(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.pods[key]
	return ok && cp.assumed
}

// setNominatedLocked records that the pod waits for room on node (its
// status.nominatedNodeName), or, with node empty, that it waits for none.
func (c *schedCache) setNominatedLocked(info *podInfo, node string) {
	c.clearNominatedLocked(info.key)
	if node == "" {
		return
	}
	m := c.nominated[node]
	if m == nil {
		m = map[string]*podInfo{}
		c.nominated[node] = m
	}
	m[info.key] = info
	c.nominatedOn[info.key] = node
}

func (c *schedCache) clearNominatedLocked(key string) {
	node, ok := c.nominatedOn[key]
	if !ok {
		return
	}
	delete(c.nominatedOn, key)
	delete(c.nominated[node], key)
	if len(c.nominated[node]) == 0 {
		delete(c.nominated, node)
	}
}

// terminal reports whether pod has finished, so that it holds nothing on
// its node any more.
func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}
