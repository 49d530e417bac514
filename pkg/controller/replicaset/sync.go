package replicaset

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
)

// sync brings one ReplicaSet's pods to its spec and reports them.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	rs, err := c.sets.ReplicaSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return nil // validation keeps such selectors out
	}
	all, err := c.pods.Pods(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	var live []*corev1.Pod
	for _, p := range all {
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			live = append(live, p)
		}
	}
	claimed, err := ownership.Claim(ctx, ownership.Owner{
		Object: rs, Kind: kind, Selector: selector,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := c.client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		StillOwner: func(ctx context.Context) error {
			fresh, err := c.client.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != rs.UID || fresh.DeletionTimestamp != nil {
				return errorf(rs, "was replaced or is being deleted: not adopting")
			}
			return nil
		},
	}, live)
	if err != nil {
		return err
	}
	var active, terminating []*corev1.Pod
	for _, p := range claimed {
		if p.DeletionTimestamp == nil {
			active = append(active, p)
		} else {
			terminating = append(terminating, p)
		}
	}

	var manageErr error
	if c.expectations.Satisfied(key) && rs.DeletionTimestamp == nil {
		manageErr = c.manage(ctx, rs, key, active)
	}
	now := c.now()
	status := calculateStatus(rs, active, terminating, manageErr, now)
	updated, err := c.updateStatus(ctx, rs, status)
	if err != nil {
		return err
	}
	if manageErr == nil && updated.Spec.MinReadySeconds > 0 &&
		updated.Status.ReadyReplicas == *updated.Spec.Replicas && updated.Status.AvailableReplicas != *updated.Spec.Replicas {
		c.loop.Queue.AddAfter(key, time.Duration(updated.Spec.MinReadySeconds)*time.Second)
	}
	return manageErr
}

// manage creates or deletes pods to reach spec.replicas, at most
// burstReplicas in one sync.
func (c *Controller) manage(ctx context.Context, rs *appsv1.ReplicaSet, key string, active []*corev1.Pod) error {
	diff := len(active) - int(*rs.Spec.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		c.expectations.ExpectCreations(key, n)
		return c.podControl.CreateAll(ctx, rs, n, func(int) *corev1.Pod {
			return podcontrol.FromTemplate(&rs.Spec.Template, rs, kind)
		}, func() { c.expectations.Created(key) })
	case diff > 0:
		victims := podsToDelete(active, perNode(active), min(diff, burstReplicas), c.now())
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i], _ = cache.MetaNamespaceKeyFunc(p)
		}
		c.expectations.ExpectDeletions(key, keys)
		return c.podControl.DeleteAll(ctx, rs, victims, func(i int) { c.expectations.Deleted(key, keys[i]) })
	}
	return nil
}
