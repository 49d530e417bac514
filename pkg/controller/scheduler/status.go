package scheduler

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
)

// nomination says what becomes of a pod's status.nominatedNodeName after
// an attempt: kept (keep), or set to node ("" clears it).
type nomination struct {
	keep bool
	node string
}

var (
	keepNomination  = nomination{keep: true}
	clearNomination = nomination{}
)

// updateCondition is upstream's podutil.UpdatePodCondition: it puts cond
// into status, keeping lastTransitionTime when the condition's status did
// not change, and reports whether anything but the times changed.
func updateCondition(clk clock.PassiveClock, status *corev1.PodStatus, cond corev1.PodCondition) bool {
	cond.LastTransitionTime = metav1.NewTime(clk.Now())
	for i := range status.Conditions {
		old := &status.Conditions[i]
		if old.Type != cond.Type {
			continue
		}
		if old.Status == cond.Status {
			cond.LastTransitionTime = old.LastTransitionTime
		}
		same := old.Status == cond.Status && old.Reason == cond.Reason && old.Message == cond.Message &&
			old.LastProbeTime.Equal(&cond.LastProbeTime) && old.LastTransitionTime.Equal(&cond.LastTransitionTime) &&
			old.ObservedGeneration == cond.ObservedGeneration
		status.Conditions[i] = cond
		return !same
	}
	status.Conditions = append(status.Conditions, cond)
	return true
}

// patchStatus writes cond (if not nil) and the nomination into pod's
// status through the status subresource, as upstream's updatePod: a
// strategic merge patch from the status the scheduler saw to the new one,
// nothing if nothing changed.
func patchStatus(ctx context.Context, client kubernetes.Interface, clk clock.PassiveClock, pod *corev1.Pod, cond *corev1.PodCondition, nom nomination) error {
	newStatus := pod.Status.DeepCopy()
	changed := cond != nil && updateCondition(clk, newStatus, *cond)
	if !nom.keep && pod.Status.NominatedNodeName != nom.node {
		newStatus.NominatedNodeName = nom.node
		changed = true
	}
	if !changed {
		return nil
	}
	oldData, err := json.Marshal(corev1.Pod{Status: pod.Status})
	if err != nil {
		return fmt.Errorf("encode status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	newData, err := json.Marshal(corev1.Pod{Status: *newStatus})
	if err != nil {
		return fmt.Errorf("encode status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, &corev1.Pod{})
	if err != nil {
		return fmt.Errorf("patch status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if string(patch) == "{}" {
		return nil
	}
	return retry.OnError(retry.DefaultBackoff, retriable, func() error {
		_, err := client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
		return err
	})
}

// retriable are the errors upstream's PatchPodStatus tries again on.
func retriable(err error) bool {
	return apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err)
}
