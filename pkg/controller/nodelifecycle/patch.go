package nodelifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// updateTaints removes the taints of remove's keys and effects from
// node's and adds those of add it lacks, in one patch. node is the
// informer's copy, tried first; on a conflict the Node is read again.
// The patch carries the resourceVersion it was computed from, since
// spec.taints is replaced as a whole and a concurrent change must not be
// lost.
func (c *Controller) updateTaints(ctx context.Context, node *corev1.Node, add, remove []corev1.Taint) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	cur, changed := node, false
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if cur == nil {
			got, err := c.client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur = got
		}
		var taints []corev1.Taint
		if taints, changed = applyTaints(cur.Spec.Taints, add, remove, c.now()); !changed {
			return nil
		}
		patch, err := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": cur.ResourceVersion},
			"spec":     map[string]any{"taints": taints},
		})
		if err != nil {
			return err
		}
		cur = nil
		_, err = c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update taints of node %s (add %v, remove %v): %w", node.Name, taintStrings(add), taintStrings(remove), err)
	}
	if changed {
		klog.FromContext(ctx).V(4).Info("Updated node taints", "node", klog.KObj(node), "added", taintStrings(add), "removed", taintStrings(remove))
	}
	return nil
}

func taintStrings(taints []corev1.Taint) []string {
	out := make([]string, len(taints))
	for i := range taints {
		out[i] = taints[i].ToString()
	}
	return out
}

// reconcileLabels gives node the beta OS and architecture labels of its
// stable ones, as upstream's labelReconcileInfo: the beta label follows
// the stable one.
func (c *Controller) reconcileLabels(ctx context.Context, node *corev1.Node) error {
	want := map[string]string{}
	for _, p := range [...]struct{ stable, beta string }{
		{corev1.LabelOSStable, "beta.kubernetes.io/os"},
		{corev1.LabelArchStable, "beta.kubernetes.io/arch"},
	} {
		v, ok := node.Labels[p.stable]
		if !ok {
			continue
		}
		if got, ok := node.Labels[p.beta]; !ok || got != v {
			want[p.beta] = v
		}
	}
	if len(want) == 0 {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": want}})
	if err != nil {
		return err
	}
	if _, err := c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("update labels of node %s: %w", node.Name, err)
	}
	return nil
}

// markPodsNotReady sets the Ready condition of node's pods False, as
// upstream's MarkPodsNotReady: only pods that report one, each with a
// Warning NodeNotReady event once its status is written.
func (c *Controller) markPodsNotReady(ctx context.Context, pods []*corev1.Pod, nodeName string) error {
	logger := klog.FromContext(ctx)
	logger.V(2).Info("Update ready status of pods on node", "node", klog.KRef("", nodeName))
	var errs []error
	for _, p := range pods {
		if p.Spec.NodeName != nodeName {
			continue
		}
		pod := p.DeepCopy()
		i := podReadyIndex(pod)
		if i < 0 || pod.Status.Conditions[i].Status == corev1.ConditionFalse {
			continue
		}
		pod.Status.Conditions[i].Status = corev1.ConditionFalse
		pod.Status.Conditions[i].LastTransitionTime = c.now()
		logger.V(2).Info("Updating ready status of pod to false", "pod", klog.KObj(pod))
		if _, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			errs = append(errs, fmt.Errorf("mark pod %s/%s not ready: %w", pod.Namespace, pod.Name, err))
			continue
		}
		c.events.Event(pod, corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")
	}
	return errors.Join(errs...)
}

func podReadyIndex(pod *corev1.Pod) int {
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return i
		}
	}
	return -1
}
