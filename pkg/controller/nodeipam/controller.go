package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	nodeutil "k8s.io/component-helpers/node/util"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Upstream's event source and reasons (RangeAllocator, RecordNodeStatusChange).
const (
	eventSource                = "cidrAllocator"
	reasonCIDRNotAvailable     = "CIDRNotAvailable"
	reasonCIDRAssignmentFailed = "CIDRAssignmentFailed"
)

// patchRetries is how often a CIDR patch is tried before the CIDRs are
// given back, as upstream's cidrUpdateRetries.
const patchRetries = 3

// Config is what the controller divides: kube-controller-manager's
// --cluster-cidr, --node-cidr-mask-size-ipv4/-ipv6 and
// --service-cluster-ip-range, already validated as the flags are.
type Config struct {
	// ClusterCIDRs are the pod networks in flag order: one, or one per IP
	// family. Each Node gets one CIDR of each, in this order, and
	// spec.podCIDR is the one from the first.
	ClusterCIDRs []netip.Prefix
	// NodeCIDRMaskSizeIPv4 and NodeCIDRMaskSizeIPv6 are the prefix lengths
	// of the CIDRs handed out from the cluster CIDR of that family. Only
	// the families of ClusterCIDRs are used.
	NodeCIDRMaskSizeIPv4, NodeCIDRMaskSizeIPv6 int
	// ServiceCIDRs are the Service ranges. Where one overlaps a cluster
	// CIDR, the node CIDRs it touches are never handed out, as upstream's
	// filterOutServiceRange does.
	ServiceCIDRs []netip.Prefix
}

// Controller gives Nodes their pod CIDRs and takes them back when the
// Nodes go.
type Controller struct {
	client kubernetes.Interface
	lister corelisters.NodeLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	// sets has one CIDRSet per cluster CIDR, in flag order; a Node's
	// podCIDRs[i] belongs to sets[i], as upstream pairs them by index.
	sets []*allocator.CIDRSet

	// mu guards held: what each Node holds, so that a deleted Node's CIDRs
	// are released from what was allocated rather than from a cache that
	// may have lost it.
	mu   sync.Mutex
	held map[string]holding

	// events records while Run runs.
	events *events.Recorder
}

// holding is the CIDRs a Node of a given UID holds, index i from sets[i]
// (an invalid prefix where it holds none of that set).
type holding struct {
	uid   types.UID
	cidrs []netip.Prefix
}

// New returns a controller that watches Nodes through factory; the caller
// starts factory and calls Run. It fails for a configuration it cannot
// divide: no cluster CIDR, more than two, two of one family, or a mask size
// the cluster CIDR of its family cannot be split into; and if its event
// handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, cfg Config) (*Controller, error) {
	sets, err := newSets(cfg)
	if err != nil {
		return nil, err
	}
	informer := factory.Core().V1().Nodes()
	c := &Controller{
		client: client,
		lister: informer.Lister(),
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		sets:   sets,
		held:   map[string]holding{},
		events: events.New(client, eventSource),
	}
	synced, err := eventhandlers.Add(eventhandlers.For("node", informer.TypedInformer(), coreinformers.NodeHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, cur *corev1.Node) {
			if needsSync(old, cur) {
				c.enqueue(cur)
			}
		},
		DeleteFunc: func(d coreinformers.DeletedNode) { c.queue.Add(d.GetKey()) },
	}))
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// newSets builds the CIDRSets of cfg and reserves the Service ranges in them.
func newSets(cfg Config) ([]*allocator.CIDRSet, error) {
	switch n := len(cfg.ClusterCIDRs); {
	case n == 0:
		return nil, errors.New("Controller: Must specify --cluster-cidr if --allocate-node-cidrs is set")
	case n > 2:
		return nil, fmt.Errorf("length of clusterCIDRs is:%v more than max allowed of 2", n)
	case n == 2 && cfg.ClusterCIDRs[0].Addr().Is4() == cfg.ClusterCIDRs[1].Addr().Is4():
		return nil, fmt.Errorf("cluster CIDRs %v and %v are of the same IP family", cfg.ClusterCIDRs[0], cfg.ClusterCIDRs[1])
	}
	sets := make([]*allocator.CIDRSet, len(cfg.ClusterCIDRs))
	for i, cidr := range cfg.ClusterCIDRs {
		mask := cfg.NodeCIDRMaskSizeIPv4
		if cidr.Addr().Is6() {
			mask = cfg.NodeCIDRMaskSizeIPv6
		}
		if cidr.IsValid() && cidr.Masked().Bits() > mask {
			return nil, fmt.Errorf("cluster CIDR %v: %s", cidr, "Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family")
		}
		set, err := allocator.NewCIDRSet(cidr, mask)
		if err != nil {
			return nil, fmt.Errorf("cluster CIDR %v: %w", cidr, err)
		}
		for _, svc := range cfg.ServiceCIDRs {
			if svc.IsValid() && svc.Overlaps(set.Cluster()) {
				if err := set.Occupy(svc); err != nil {
					return nil, fmt.Errorf("reserve service CIDR %v in cluster CIDR %v: %w", svc, cidr, err)
				}
			}
		}
		sets[i] = set
	}
	return sets, nil
}

// needsSync reports whether a Node update can need work: a Node without
// CIDRs, with new ones, of a new UID, or going away. Upstream queues every
// update; the rest are status heartbeats that change nothing here.
func needsSync(old, cur *corev1.Node) bool {
	return len(cur.Spec.PodCIDRs) == 0 || cur.DeletionTimestamp != nil || old.UID != cur.UID ||
		!slices.Equal(old.Spec.PodCIDRs, cur.Spec.PodCIDRs)
}

// enqueue queues node's name.
func (c *Controller) enqueue(node *corev1.Node) { c.queue.Add(node.Name) }

// Run relearns the CIDRs of existing Nodes, then processes Nodes with the
// given number of workers until ctx is done, and returns once they have
// all stopped.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: c.queue, Sync: c.sync,
			ErrorMessage: "Error syncing node, requeuing", ItemKey: "node"},
		Name:   "node-ipam-controller",
		Title:  "node IPAM controller",
		Synced: c.synced,
		Events: c.events,
		Ready:  c.relearn,
	}
	loop.Run(ctx, n, "clusterCIDRs", c.clusterCIDRs())
}

func (c *Controller) clusterCIDRs() []netip.Prefix {
	out := make([]netip.Prefix, len(c.sets))
	for i, s := range c.sets {
		out[i] = s.Cluster()
	}
	return out
}

// relearn marks the CIDRs of every Node the cache holds as used, before
// anything is allocated. Upstream refuses to start when a Node holds a CIDR
// outside the cluster CIDRs (kube-controller-manager then restarts until
// someone fixes the Node); here that Node is reported and left alone, and
// the others are served.
func (c *Controller) relearn(ctx context.Context) {
	nodes, err := c.lister.List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Could not list nodes to relearn their CIDRs")
		return
	}
	logger := klog.FromContext(ctx)
	for _, node := range nodes {
		if len(node.Spec.PodCIDRs) == 0 {
			continue
		}
		if err := c.occupy(node); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Node holds CIDRs this cluster does not hand out", "node", klog.KObj(node))
			continue
		}
		logger.V(4).Info("Node has CIDR, occupying it in CIDR map", "node", klog.KObj(node), "podCIDRs", node.Spec.PodCIDRs)
	}
}

// sync gives Node name its CIDRs if it has none, relearns them if it has,
// and releases them if it is gone or going.
func (c *Controller) sync(ctx context.Context, name string) error {
	logger := klog.FromContext(ctx)
	node, err := c.lister.Get(name)
	switch {
	case apierrors.IsNotFound(err):
		c.release(ctx, name, "")
		return nil
	case err != nil:
		return err
	case node.DeletionTimestamp != nil:
		logger.V(3).Info("Node is being deleted", "node", name)
		c.release(ctx, name, "")
		return nil
	}
	c.release(ctx, name, node.UID)
	if len(node.Spec.PodCIDRs) > 0 {
		return c.occupy(node)
	}

	// The cache can lag behind the patch that gave this Node its CIDRs: a
	// second allocation would move the round-robin position for nothing.
	node, err = c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		c.release(ctx, name, "")
		return nil
	case err != nil:
		return err
	case node.DeletionTimestamp != nil:
		return nil
	}
	c.release(ctx, name, node.UID)
	if len(node.Spec.PodCIDRs) > 0 {
		return c.occupy(node)
	}
	return c.allocate(ctx, node)
}

// allocate takes one CIDR of every cluster CIDR for node and patches them
// onto it.
func (c *Controller) allocate(ctx context.Context, node *corev1.Node) error {
	logger := klog.FromContext(ctx)
	cidrs, err := allocator.CIDRSets(c.sets).AllocateNext()
	if err != nil {
		c.recordNodeStatusChange(node, corev1.EventTypeWarning, reasonCIDRNotAvailable)
		var fe *allocator.FamilyError
		if errors.As(err, &fe) {
			return fmt.Errorf("failed to allocate cidr from cluster cidr at idx:%v: %w", fe.Index, fe.Err)
		}
		return err
	}
	strs := make([]string, len(cidrs))
	for i, p := range cidrs {
		strs[i] = p.String()
	}
	for range patchRetries {
		if err = nodeutil.PatchNodeCIDRs(ctx, c.client, types.NodeName(node.Name), strs); err == nil {
			c.mu.Lock()
			c.held[node.Name] = holding{uid: node.UID, cidrs: cidrs}
			c.mu.Unlock()
			logger.V(2).Info("Set node PodCIDR", "node", klog.KObj(node), "podCIDRs", strs)
			return nil
		}
	}
	logger.Error(err, "Failed to update node PodCIDR after multiple attempts", "node", klog.KObj(node), "podCIDRs", strs)
	c.recordNodeStatusChange(node, corev1.EventTypeWarning, reasonCIDRAssignmentFailed)
	// After a timeout the patch may still have landed: keep the CIDRs
	// rather than hand them out twice, as upstream.
	if !apierrors.IsServerTimeout(err) {
		c.releaseCIDRs(ctx, cidrs)
	}
	return err
}

// occupy marks node's podCIDRs as used, podCIDRs[i] in sets[i], and
// remembers them as the Node's, with upstream's errors.
func (c *Controller) occupy(node *corev1.Node) error {
	h := holding{uid: node.UID, cidrs: make([]netip.Prefix, len(c.sets))}
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.held[node.Name] = h
	}()
	for i, s := range node.Spec.PodCIDRs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("failed to parse node %s, CIDR %s", node.Name, node.Spec.PodCIDR)
		}
		if i >= len(c.sets) {
			return fmt.Errorf("node:%s has an allocated cidr: %v at index:%v that does not exist in cluster cidrs configuration", node.Name, s, i)
		}
		p = p.Masked()
		if err := c.sets[i].Occupy(p); err != nil {
			return fmt.Errorf("failed to mark cidr[%v] at idx [%v] as occupied for node: %v: %w", p, i, node.Name, err)
		}
		h.cidrs[i] = p
	}
	return nil
}

// release frees the CIDRs Node name holds, unless it holds them as the
// Node of UID keep (a Node deleted and created again under the same name
// is another Node).
func (c *Controller) release(ctx context.Context, name string, keep types.UID) {
	c.mu.Lock()
	h, ok := c.held[name]
	if !ok || (keep != "" && h.uid == keep) {
		c.mu.Unlock()
		return
	}
	delete(c.held, name)
	c.mu.Unlock()
	klog.FromContext(ctx).V(2).Info("Releasing node CIDRs", "node", name, "podCIDRs", h.cidrs)
	c.releaseCIDRs(ctx, h.cidrs)
	c.wakeWaiting()
}

// wakeWaiting queues the Nodes still without CIDRs: one may be waiting for
// those just released, and should not wait out its retry delay (which
// upstream lets grow to minutes).
func (c *Controller) wakeWaiting() {
	nodes, err := c.lister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, node := range nodes {
		if len(node.Spec.PodCIDRs) == 0 && node.DeletionTimestamp == nil {
			c.queue.Add(node.Name)
		}
	}
}

func (c *Controller) releaseCIDRs(ctx context.Context, cidrs []netip.Prefix) {
	for i, p := range cidrs {
		if !p.IsValid() || i >= len(c.sets) {
			continue
		}
		if err := c.sets[i].Release(p); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Error when releasing CIDR", "index", i, "CIDR", p)
		}
	}
}

// recordNodeStatusChange records upstream's node status event, which
// refers to the Node by hand (no resourceVersion) and lands in the default
// namespace.
func (c *Controller) recordNodeStatusChange(node *corev1.Node, eventType, status string) {
	ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
	c.events.Eventf(ref, eventType, status, "Node %s status is now: %s", node.Name, status)
}
