package nodelifecycle

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-helpers/node/topology"
	nodeutil "k8s.io/component-helpers/node/util"
	"k8s.io/klog/v2"
)

// monitor is one health pass over every Node, n at a time: Nodes new and
// gone are announced, each Node's health is checked (marking it Unknown
// and its pods not ready when its kubelet went quiet, and queueing its
// NoExecute taint), then the zones' disruption states set the taint rates.
func (c *Controller) monitor(ctx context.Context, n int) {
	logger := klog.FromContext(ctx)
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Error monitoring node health")
		return
	}
	added, deleted, newZones := c.classify(nodes)
	for _, node := range newZones {
		c.ensureZone(ctx, node)
	}
	for _, node := range added {
		logger.V(1).Info("Controller observed a new Node", "node", klog.KObj(node))
		c.recordNodeEvent(node, "RegisteredNode", fmt.Sprintf("Registered Node %v in Controller", node.Name))
		c.known[node.Name] = node
		c.ensureZone(ctx, node)
		if _, err := c.markReachable(ctx, node); err != nil {
			logger.Error(err, "Failed to remove taints from node", "node", klog.KObj(node))
		}
	}
	for _, node := range deleted {
		logger.V(1).Info("Controller observed a Node deletion", "node", klog.KObj(node))
		c.recordNodeEvent(node, "RemovingNode", fmt.Sprintf("Removing Node %v from Controller", node.Name))
		delete(c.known, node.Name)
		c.health.remove(node.Name)
	}

	var mu sync.Mutex
	zoneReady := map[string][]*corev1.NodeCondition{}
	workqueue.ParallelizeUntil(ctx, n, len(nodes), func(i int) {
		node := nodes[i].DeepCopy()
		ready, ok := c.checkNode(ctx, node)
		if !ok {
			return
		}
		if _, excluded := node.Labels[labelExcludeDisruption]; !excluded {
			mu.Lock()
			zone := topology.GetZoneKey(node)
			zoneReady[zone] = append(zoneReady[zone], ready)
			mu.Unlock()
		}
	})
	c.handleDisruption(ctx, zoneReady, nodes)
}

// classify splits nodes into those not seen before, those seen before that
// are gone, and those seen before whose zone has no state yet.
func (c *Controller) classify(nodes []*corev1.Node) (added, deleted, newZones []*corev1.Node) {
	present := make(map[string]bool, len(nodes))
	for _, node := range nodes {
		present[node.Name] = true
		if _, ok := c.known[node.Name]; !ok {
			added = append(added, node)
		} else if _, ok := c.zoneStates[topology.GetZoneKey(node)]; !ok {
			newZones = append(newZones, node)
		}
	}
	for name, node := range c.known {
		if !present[name] {
			deleted = append(deleted, node)
		}
	}
	return added, deleted, newZones
}

// ensureZone gives node's zone a state and a taint queue if it has none.
func (c *Controller) ensureZone(ctx context.Context, node *corev1.Node) {
	zone := topology.GetZoneKey(node)
	if _, ok := c.zoneStates[zone]; ok {
		return
	}
	klog.FromContext(ctx).V(2).Info("Initializing eviction metric for zone", "zone", zone)
	c.zoneStates[zone] = stateInitial
	c.zonesMu.Lock()
	defer c.zonesMu.Unlock()
	c.zoneQueues[zone] = newTaintQueue(c.opts.NodeEvictionRate)
}

func (c *Controller) zoneQueue(node *corev1.Node) *taintQueue {
	c.zonesMu.Lock()
	defer c.zonesMu.Unlock()
	return c.zoneQueues[topology.GetZoneKey(node)]
}

// checkNode checks node's health and acts on it; node is the caller's copy.
// It returns node's Ready condition as it now is (nil if it has none), and
// false if the check failed and node is to be left out of its zone's count.
func (c *Controller) checkNode(ctx context.Context, node *corev1.Node) (*corev1.NodeCondition, bool) {
	logger := klog.FromContext(ctx)
	var observed corev1.NodeCondition
	var current *corev1.NodeCondition
	for attempt := 1; ; attempt++ {
		var err error
		observed, current, err = c.tryUpdateHealth(ctx, node)
		if err == nil {
			break
		}
		if attempt == healthUpdateRetries || ctx.Err() != nil {
			logger.Error(err, "Update health of Node from Controller error, Skipping - no pods will be evicted", "node", klog.KObj(node))
			return nil, false
		}
		time.Sleep(healthRetryInterval)
		fresh, err := c.client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			logger.Error(err, "Failed while getting a Node to retry updating node health. Probably Node was deleted", "node", klog.KObj(node))
			return nil, false
		}
		node = fresh
	}
	if current == nil {
		c.setRetry(node.Name, false)
		return nil, true
	}
	pods, err := c.podsOnNode(node.Name)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Unable to list pods of node", "node", klog.KObj(node))
		if current.Status != corev1.ConditionTrue && observed.Status == corev1.ConditionTrue {
			c.setRetry(node.Name, true)
		}
		return current, true
	}
	c.taintByReadiness(ctx, node, observed.Status)
	switch {
	case current.Status != corev1.ConditionTrue && observed.Status == corev1.ConditionTrue:
		// Recorded once, when the controller itself marks the Node.
		c.recordNodeStatusChange(node, "NodeNotReady")
		fallthrough
	case c.needsRetry(node.Name) && observed.Status != corev1.ConditionTrue:
		if err := c.markPodsNotReady(ctx, pods, node.Name); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Unable to mark all pods NotReady on node; queuing for retry", "node", klog.KObj(node))
			c.setRetry(node.Name, true)
			return current, true
		}
	}
	c.setRetry(node.Name, false)
	return current, true
}

// tryUpdateHealth records what node shows of its kubelet and, once the
// kubelet has been silent past its grace period, writes node's conditions
// Unknown. It returns node's Ready condition as read (Unknown as of the
// Node's creation if it has none) and as it now is (nil if none); node is
// changed to what was written.
func (c *Controller) tryUpdateHealth(ctx context.Context, node *corev1.Node) (corev1.NodeCondition, *corev1.NodeCondition, error) {
	now := c.now()
	lease, err := c.leases.Leases(corev1.NamespaceNodeLease).Get(node.Name)
	if err != nil {
		lease = nil
	}
	h := observe(c.health.get(node.Name), node, lease, now)
	c.health.set(node.Name, h)

	_, current := nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady)
	observed := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown,
		LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: node.CreationTimestamp}
	if current != nil {
		observed = *current
	}
	grace := gracePeriod(node, c.opts)
	if !now.After(h.probe.Add(grace)) {
		return observed, current, nil
	}
	klog.FromContext(ctx).V(2).Info("Node hasn't been updated", "node", klog.KObj(node), "duration", now.Sub(h.probe.Time), "gracePeriod", grace)
	markUnknown(node, now)
	_, current = nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady)
	if apiequality.Semantic.DeepEqual(current, &observed) {
		return observed, current, nil
	}
	if _, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return observed, current, fmt.Errorf("mark node %s unknown: %w", node.Name, err)
	}
	c.health.set(node.Name, &health{probe: h.probe, readyTransition: now, status: node.Status.DeepCopy(), lease: h.lease})
	return observed, current, nil
}

// taintByReadiness gives node the NoExecute taint of its Ready status as
// read: at once if it has the other one (the two are swapped), else through
// its zone's rate-limited queue; a ready Node loses both at once.
func (c *Controller) taintByReadiness(ctx context.Context, node *corev1.Node, status corev1.ConditionStatus) {
	logger := klog.FromContext(ctx)
	switch status {
	case corev1.ConditionFalse:
		if hasTaint(node.Spec.Taints, noExecute(corev1.TaintNodeUnreachable)) {
			if err := c.swapNoExecute(ctx, node, corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable); err != nil {
				logger.Error(err, "Failed to instantly swap UnreachableTaint to NotReadyTaint. Will try again in the next cycle")
			}
		} else if c.queueForTaint(node, corev1.TaintNodeNotReady) {
			logger.V(2).Info("Node is NotReady. Adding it to the Taint queue", "node", klog.KObj(node))
		}
	case corev1.ConditionUnknown:
		if hasTaint(node.Spec.Taints, noExecute(corev1.TaintNodeNotReady)) {
			if err := c.swapNoExecute(ctx, node, corev1.TaintNodeUnreachable, corev1.TaintNodeNotReady); err != nil {
				logger.Error(err, "Failed to instantly swap NotReadyTaint to UnreachableTaint. Will try again in the next cycle")
			}
		} else if c.queueForTaint(node, corev1.TaintNodeUnreachable) {
			logger.V(2).Info("Node is unresponsive. Adding it to the Taint queue", "node", klog.KObj(node))
		}
	case corev1.ConditionTrue:
		removed, err := c.markReachable(ctx, node)
		if err != nil {
			logger.Error(err, "Failed to remove taints from node. Will retry in next iteration", "node", klog.KObj(node))
		}
		if removed {
			logger.V(2).Info("Node is healthy again, removed all taints", "node", klog.KObj(node))
		}
	}
}

// swapNoExecute gives node the NoExecute taint add instead of remove.
func (c *Controller) swapNoExecute(ctx context.Context, node *corev1.Node, add, remove string) error {
	return c.updateTaints(ctx, node, []corev1.Taint{noExecute(add)}, []corev1.Taint{noExecute(remove)})
}

// queueForTaint queues node for the NoExecute taint key, queueing it again
// if it lacks the taint (someone removed it, or it was queued for the
// other one), and reports whether it was queued.
func (c *Controller) queueForTaint(node *corev1.Node, key string) bool {
	q := c.zoneQueue(node)
	if q == nil {
		return false
	}
	if !hasTaint(node.Spec.Taints, noExecute(key)) {
		q.remove(node.Name)
	}
	return q.add(node.Name, c.now().Time)
}

// markReachable removes both NoExecute taints of the Ready condition from
// node and takes it out of its zone's queue, reporting whether it was in.
func (c *Controller) markReachable(ctx context.Context, node *corev1.Node) (bool, error) {
	err := c.updateTaints(ctx, node, nil, []corev1.Taint{noExecute(corev1.TaintNodeUnreachable), noExecute(corev1.TaintNodeNotReady)})
	if err != nil {
		return false, err
	}
	q := c.zoneQueue(node)
	return q != nil && q.remove(node.Name), nil
}

// taintPass works every zone's queue: each due Node gets the NoExecute
// taint of its Ready condition as it now is, unless it is ready again.
func (c *Controller) taintPass(ctx context.Context) {
	c.zonesMu.Lock()
	queues := make([]*taintQueue, 0, len(c.zoneQueues))
	for _, q := range c.zoneQueues {
		queues = append(queues, q)
	}
	c.zonesMu.Unlock()
	logger := klog.FromContext(ctx)
	now := func() time.Time { return c.now().Time }
	for _, q := range queues {
		q.try(now, func(name string) (bool, time.Duration) {
			node, err := c.nodes.Get(name)
			switch {
			case apierrors.IsNotFound(err):
				logger.V(2).Info("Node no longer present in nodeLister", "node", klog.KRef("", name))
				return true, 0
			case err != nil:
				return false, 50 * time.Millisecond
			}
			_, ready := nodeutil.GetNodeCondition(&node.Status, corev1.NodeReady)
			if ready == nil {
				return false, 50 * time.Millisecond
			}
			var err2 error
			switch ready.Status {
			case corev1.ConditionFalse:
				err2 = c.swapNoExecute(ctx, node, corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable)
			case corev1.ConditionUnknown:
				err2 = c.swapNoExecute(ctx, node, corev1.TaintNodeUnreachable, corev1.TaintNodeNotReady)
			default:
				logger.V(4).Info("Node was in a taint queue, but it's ready now. Ignoring taint request", "node", klog.KObj(node))
				return true, 0
			}
			if err2 != nil {
				utilruntime.HandleErrorWithContext(ctx, err2, "Failed to taint unresponsive node", "node", klog.KObj(node))
				return false, 0
			}
			return true, 0
		})
	}
}

// handleDisruption sets each zone's taint rate from its new state, as
// upstream: when every zone is fully disrupted the control plane is taken
// to be the one cut off, so the NoExecute taints are removed and no more
// are added until some Node is ready again, when every Node's grace period
// starts afresh.
func (c *Controller) handleDisruption(ctx context.Context, zoneReady map[string][]*corev1.NodeCondition, nodes []*corev1.Node) {
	logger := klog.FromContext(ctx)
	newStates := map[string]zoneState{}
	allAreFull := true
	for zone, ready := range zoneReady {
		_, state := zoneStateOf(ready, c.opts.UnhealthyZoneThreshold)
		if state != stateFullDisruption {
			allAreFull = false
		}
		newStates[zone] = state
		if _, ok := c.zoneStates[zone]; !ok {
			logger.V(2).Info("Setting initial state for unseen zone", "zone", zone)
			c.zoneStates[zone] = stateInitial
		}
	}
	allWereFull := true
	for zone, state := range c.zoneStates {
		if _, ok := zoneReady[zone]; !ok {
			delete(c.zoneStates, zone)
			continue
		}
		if state != stateFullDisruption {
			allWereFull = false
		}
	}
	if allAreFull && allWereFull {
		return
	}
	switch {
	case allAreFull:
		logger.Info("Controller detected that all Nodes are not-Ready. Entering master disruption mode")
		for _, node := range nodes {
			if _, err := c.markReachable(ctx, node); err != nil {
				logger.Error(err, "Failed to remove taints from Node", "node", klog.KObj(node))
			}
		}
		for zone := range c.zoneStates {
			c.setZoneRate(zone, 0)
			c.zoneStates[zone] = stateFullDisruption
		}
	case allWereFull:
		logger.Info("Controller detected that some Nodes are Ready. Exiting master disruption mode")
		now := c.now()
		for _, node := range nodes {
			if h := c.health.get(node.Name); h != nil {
				h.probe, h.readyTransition = now, now
				c.health.set(node.Name, h)
			}
		}
		for zone := range c.zoneStates {
			c.setZoneRate(zone, zoneRate(newStates[zone], len(zoneReady[zone]), c.opts))
			c.zoneStates[zone] = newStates[zone]
		}
	default:
		for zone, state := range c.zoneStates {
			if state == newStates[zone] {
				continue
			}
			logger.Info("Controller detected that zone is now in new state", "zone", zone, "newState", newStates[zone])
			c.setZoneRate(zone, zoneRate(newStates[zone], len(zoneReady[zone]), c.opts))
			c.zoneStates[zone] = newStates[zone]
		}
	}
}

func (c *Controller) setZoneRate(zone string, rate float32) {
	c.zonesMu.Lock()
	q := c.zoneQueues[zone]
	c.zonesMu.Unlock()
	if q != nil {
		q.setRate(rate)
	}
}
