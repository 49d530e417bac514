package pvcprotection

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-helpers/storage/ephemeral"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/protection"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "persistentvolumeclaim-protection-controller"

// Finalizer is what keeps a claim in use from going.
const Finalizer = "kubernetes.io/pvc-protection"

// Controller keeps claims in use.
type Controller struct {
	client kubernetes.Interface
	claims corelisters.PersistentVolumeClaimLister
	pods   corelisters.PodLister
	loop   workers.Loop[string]
}

// New returns a controller that watches claims and pods through factory;
// the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	claims := factory.Core().V1().PersistentVolumeClaims()
	pods := factory.Core().V1().Pods()
	c := &Controller{client: client, claims: claims.Lister(), pods: pods.Lister()}
	synced, err := eventhandlers.Add(
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			AddFunc:    c.enqueueClaim,
			UpdateFunc: func(_, claim *corev1.PersistentVolumeClaim) { c.enqueueClaim(claim) },
		}),
		eventhandlers.For("pod", pods.TypedInformer(), coreinformers.PodHandlerFuncs{
			AddFunc:    c.enqueuePodClaims,
			UpdateFunc: func(_, pod *corev1.Pod) { c.enqueuePodClaims(pod) },
			DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
				if d.OptionalObj != nil {
					c.enqueuePodClaims(d.OptionalObj)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
			Sync:  c.sync, Expected: workers.LostRace,
			ErrorMessage: "PVC failed with", ItemKey: "PVC",
		},
		Name: Name, Title: "PVC protection controller", Synced: synced,
	}
	return c, nil
}

// Run protects claims with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

// enqueueClaim queues a claim that needs the finalizer or may lose it.
func (c *Controller) enqueueClaim(claim *corev1.PersistentVolumeClaim) {
	if protection.Next(claim, Finalizer) == protection.Nothing {
		return
	}
	if key, err := cache.MetaNamespaceKeyFunc(claim); err == nil {
		c.loop.Queue.Add(key)
	}
}

// enqueuePodClaims queues the claims of a pod that changed or went: it may
// have stopped using them.
func (c *Controller) enqueuePodClaims(pod *corev1.Pod) {
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch {
		case v.PersistentVolumeClaim != nil:
			c.loop.Queue.Add(pod.Namespace + "/" + v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			c.loop.Queue.Add(pod.Namespace + "/" + ephemeral.VolumeClaimName(pod, v))
		}
	}
}

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	claim, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	step := protection.Next(claim, Finalizer)
	switch step {
	case protection.Nothing:
		return nil
	case protection.Release:
		if used, err := c.inUse(ctx, claim); err != nil || used {
			return err
		}
	}
	clone := claim.DeepCopy()
	protection.Toggle(clone, Finalizer, step)
	if _, err := c.client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return err
	}
	klog.FromContext(ctx).V(3).Info("Updated the protection finalizer of PVC", "PVC", klog.KObj(claim), "added", step == protection.Add)
	return nil
}

// inUse asks the informer's pods first and, if none uses the claim, a live
// list, so that a pod the cache has not seen yet still counts.
func (c *Controller) inUse(ctx context.Context, claim *corev1.PersistentVolumeClaim) (bool, error) {
	cached, err := c.pods.Pods(claim.Namespace).List(labels.Everything())
	if err != nil {
		return false, err
	}
	for _, pod := range cached {
		if podUses(pod, claim) {
			return true, nil
		}
	}
	live, err := c.client.CoreV1().Pods(claim.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err
	}
	for i := range live.Items {
		if podUses(&live.Items[i], claim) {
			return true, nil
		}
	}
	klog.FromContext(ctx).V(2).Info("PVC is unused", "PVC", klog.KObj(claim))
	return false, nil
}

// podUses is upstream's podUsesPVC: only a scheduled pod counts (the
// kubelet does not start a pod whose claim is being deleted), and a
// generic ephemeral volume's claim only while its pod is not shut down.
func podUses(pod *corev1.Pod, claim *corev1.PersistentVolumeClaim) bool {
	if pod.Spec.NodeName == "" {
		return false
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.Name {
			return true
		}
		if v.Ephemeral != nil && !shutDown(pod) && ephemeral.VolumeClaimName(pod, v) == claim.Name && ephemeral.VolumeIsForPod(pod, claim) == nil {
			return true
		}
	}
	return false
}

// shutDown: the kubelet is done with the pod, or it was force-deleted.
func shutDown(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil && *pod.DeletionGracePeriodSeconds == 0
}
