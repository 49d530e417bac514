package daemonset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/kubectl/pkg/util/podutils"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
)

// sync brings one DaemonSet's pods and revisions to its spec and reports
// them in its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	ds, err := c.sets.DaemonSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(ds.Spec.Selector, &metav1.LabelSelector{}) {
		c.events.Event(ds, corev1.EventTypeWarning, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.")
		return nil
	}
	// Being deleted, its revisions may be gone or orphaned already, so
	// neither they nor the status can be trusted: leave it to the
	// garbage collector.
	if ds.DeletionTimestamp != nil {
		return nil
	}
	cur, old, err := c.history(ctx, ds)
	if err != nil {
		return errorf(ds, "failed to construct revisions of DaemonSet: %w", err)
	}
	hash := cur.Labels[hashLabel]
	if !c.expectations.Satisfied(key) {
		// Only the status, and not for this generation, which is not
		// acted on yet.
		return c.updateStatus(ctx, ds, nodes, hash, false)
	}
	err = c.reconcile(ctx, ds, key, nodes, hash, old)
	return errors.Join(err, c.updateStatus(ctx, ds, nodes, hash, true))
}

// reconcile makes and deletes pods so that each node has what it should,
// then goes on with the rolling update and drops old revisions.
func (c *Controller) reconcile(ctx context.Context, ds *appsv1.DaemonSet, key string, nodes []*corev1.Node, hash string, old []*appsv1.ControllerRevision) error {
	byNode, err := c.podsByNode(ctx, ds, false)
	if err != nil {
		return err
	}
	var create []string
	var remove []*corev1.Pod
	for _, node := range nodes {
		need, gone := c.podsOnNode(ctx, node, byNode[node.Name], ds, hash)
		if need {
			create = append(create, node.Name)
		}
		remove = append(remove, gone...)
	}
	remove = append(remove, unscheduledOnMissingNodes(nodes, byNode)...)
	if err := c.syncNodes(ctx, ds, key, create, remove, hash); err != nil {
		return err
	}
	if c.expectations.Satisfied(key) && ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if err := c.rollingUpdate(ctx, ds, key, nodes, hash); err != nil {
			return err
		}
	}
	if err := c.cleanupHistory(ctx, ds, old); err != nil {
		return errorf(ds, "failed to clean up revisions of DaemonSet: %w", err)
	}
	return nil
}

// podsByNode claims ds's pods and groups them by the node each is for.
// Pods that are deleted and done are left out unless withDeletedDone:
// the kubelet has finished with them and they hold no node.
func (c *Controller) podsByNode(ctx context.Context, ds *appsv1.DaemonSet, withDeletedDone bool) (map[string][]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, nil // validation keeps such selectors out
	}
	all, err := c.pods.Pods(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	claimed, err := ownership.Claim(ctx, c.owns(ds, selector, func(ctx context.Context, name string, patch []byte) error {
		_, err := c.client.CoreV1().Pods(ds.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		return err
	}), all)
	if err != nil {
		return nil, err
	}
	out := map[string][]*corev1.Pod{}
	for _, p := range claimed {
		done := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		if !withDeletedDone && done && p.DeletionTimestamp != nil {
			continue
		}
		node, err := targetNode(p)
		if err != nil {
			klog.FromContext(ctx).V(4).Info("Failed to get target node name of Pod in DaemonSet", "pod", klog.KObj(p), "daemonset", klog.KObj(ds))
			continue
		}
		out[node] = append(out[node], p)
	}
	return out, nil
}

// owns is ds as the owner of what it selects, adopting through patch.
func (c *Controller) owns(ds *appsv1.DaemonSet, selector labels.Selector, patch ownership.Patcher) ownership.Owner {
	return ownership.Owner{
		Object: ds, Kind: kind, Selector: selector, Patch: patch,
		StillOwner: func(ctx context.Context) error {
			fresh, err := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != ds.UID || fresh.DeletionTimestamp != nil {
				return errorf(ds, "was replaced or is being deleted: not adopting")
			}
			return nil
		},
	}
}

// podsOnNode is upstream's podsShouldBeOnNode: whether node needs a new
// pod of ds, and which of its pods there go. Failed pods are replaced
// (one node at a time under back-off), succeeded ones too; without surge
// only the oldest running pod stays; with surge an old and a new pod may
// run side by side while the new one is not yet available.
func (c *Controller) podsOnNode(ctx context.Context, node *corev1.Node, pods []*corev1.Pod, ds *appsv1.DaemonSet, hash string) (bool, []*corev1.Pod) {
	p := placementOf(node, ds)
	switch {
	case p.run && len(pods) == 0:
		return true, nil
	case !p.keep:
		var remove []*corev1.Pod
		for _, pod := range pods {
			if pod.DeletionTimestamp == nil {
				remove = append(remove, pod)
			}
		}
		return false, remove
	}
	var running, remove []*corev1.Pod
	for _, pod := range pods {
		switch {
		case pod.DeletionTimestamp != nil:
		case pod.Status.Phase == corev1.PodFailed:
			backoffKey := fmt.Sprintf("%s/%d/%s", ds.UID, ds.Status.ObservedGeneration, node.Name)
			now := c.now()
			if c.failedPods.IsInBackOffSinceUpdate(backoffKey, now) {
				dsKey, _ := cache.MetaNamespaceKeyFunc(ds)
				c.loop.Queue.AddAfter(dsKey, c.failedPods.Get(backoffKey))
				continue
			}
			c.failedPods.Next(backoffKey, now)
			c.events.Eventf(ds, corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", pod.Namespace, pod.Name, node.Name)
			remove = append(remove, pod)
		case pod.Status.Phase == corev1.PodSucceeded:
			c.events.Eventf(ds, corev1.EventTypeNormal, "SucceededDaemonPod", "Found succeeded daemon pod %s/%s on node %s, will try to delete it", pod.Namespace, pod.Name, node.Name)
			remove = append(remove, pod)
		default:
			running = append(running, pod)
		}
	}
	slices.SortFunc(running, oldestScheduledFirst)
	if !allowsSurge(ds) {
		if len(running) > 1 {
			remove = append(remove, running[1:]...)
		}
		return false, remove
	}
	if len(running) == 0 {
		return p.run, remove
	}
	// Surging: keep the oldest new pod and, while it is not available
	// and the oldest old pod is ready, that old pod too.
	var newest, oldest *corev1.Pod
	for _, pod := range running {
		switch {
		case pod.Labels[hashLabel] == hash && newest == nil:
			newest = pod
		case pod.Labels[hashLabel] != hash && oldest == nil:
			oldest = pod
		default:
			remove = append(remove, pod)
		}
	}
	if newest != nil && oldest != nil && (!podutils.IsPodReady(oldest) || c.available(newest, ds)) {
		remove = append(remove, oldest)
	}
	return false, remove
}

// oldestScheduledFirst orders daemon pods as upstream's
// podByCreationTimestampAndPhase: bound before unbound, then older
// first, then by name.
func oldestScheduledFirst(a, b *corev1.Pod) int {
	if (a.Spec.NodeName != "") != (b.Spec.NodeName != "") {
		if a.Spec.NodeName != "" {
			return -1
		}
		return 1
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

// unscheduledOnMissingNodes are the unbound pods pinned to nodes that no
// longer exist: the scheduler cannot place them and the pod garbage
// collector does not see them, so the DaemonSet deletes them.
func unscheduledOnMissingNodes(nodes []*corev1.Node, byNode map[string][]*corev1.Pod) []*corev1.Pod {
	exists := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		exists[n.Name] = true
	}
	var out []*corev1.Pod
	for node, pods := range byNode {
		if exists[node] {
			continue
		}
		for _, p := range pods {
			if p.Spec.NodeName == "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// syncNodes creates a pod of ds on each of nodes and deletes remove, at
// most burstReplicas of each, with the expectations set first so that
// the next sync waits for the informer to see them.
func (c *Controller) syncNodes(ctx context.Context, ds *appsv1.DaemonSet, key string, nodes []string, remove []*corev1.Pod, hash string) error {
	nodes = nodes[:min(len(nodes), burstReplicas)]
	remove = remove[:min(len(remove), burstReplicas)]
	podKeys := make([]string, len(remove))
	for i, p := range remove {
		podKeys[i], _ = cache.MetaNamespaceKeyFunc(p)
	}
	c.expectations.Expect(key, len(nodes), podKeys)

	generation := templateGeneration(ds)
	createErr := c.podControl.CreateAll(ctx, ds, len(nodes), func(i int) *corev1.Pod {
		return newPod(ds, nodes[i], hash, generation)
	}, func() { c.expectations.Created(key) })
	deleteErr := c.podControl.DeleteAll(ctx, ds, remove, func(i int) { c.expectations.Deleted(key, podKeys[i]) })
	return errors.Join(createErr, deleteErr)
}
