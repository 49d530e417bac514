package pvprotection

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/protection"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's
// --controllers spells it.
const Name = "persistentvolume-protection-controller"

// Finalizer is what keeps a bound volume from going.
const Finalizer = "kubernetes.io/pv-protection"

// Controller keeps bound volumes.
type Controller struct {
	client  kubernetes.Interface
	volumes corelisters.PersistentVolumeLister
	loop    workers.Loop[string]
}

// New returns a controller that watches volumes through factory; the
// caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	volumes := factory.Core().V1().PersistentVolumes()
	c := &Controller{client: client, volumes: volumes.Lister()}
	synced, err := eventhandlers.Add(eventhandlers.For("persistentvolume", volumes.TypedInformer(), coreinformers.PersistentVolumeHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, pv *corev1.PersistentVolume) { c.enqueue(pv) },
	}))
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
			Sync:  c.sync, Expected: workers.LostRace,
			ErrorMessage: "PV failed with", ItemKey: "PV",
		},
		Name: Name, Title: "PV protection controller", Synced: synced,
	}
	return c, nil
}

// Run protects volumes with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n) }

func (c *Controller) enqueue(pv *corev1.PersistentVolume) {
	if protection.Next(pv, Finalizer) == protection.Nothing {
		return
	}
	c.loop.Queue.Add(pv.Name)
}

func (c *Controller) sync(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	step := protection.Next(pv, Finalizer)
	// A bound volume is in use: its finalizer stays until it is released.
	if step == protection.Nothing || (step == protection.Release && pv.Status.Phase == corev1.VolumeBound) {
		return nil
	}
	clone := pv.DeepCopy()
	protection.Toggle(clone, Finalizer, step)
	if _, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return err
	}
	klog.FromContext(ctx).V(3).Info("Updated the protection finalizer of PV", "PV", pv.Name, "added", step == protection.Add)
	return nil
}
