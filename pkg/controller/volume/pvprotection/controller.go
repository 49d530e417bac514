package pvprotection

import (
	"context"
	"slices"

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
	has := slices.Contains(pv.Finalizers, Finalizer)
	if pv.DeletionTimestamp == nil && has || pv.DeletionTimestamp != nil && !has {
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
	logger := klog.FromContext(ctx)
	has := slices.Contains(pv.Finalizers, Finalizer)
	switch {
	case pv.DeletionTimestamp == nil && !has:
		clone := pv.DeepCopy()
		clone.Finalizers = append(clone.Finalizers, Finalizer)
		if _, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
			return err
		}
		logger.V(3).Info("Added protection finalizer to PV", "PV", pv.Name)
	case pv.DeletionTimestamp != nil && has && pv.Status.Phase != corev1.VolumeBound:
		clone := pv.DeepCopy()
		clone.Finalizers = slices.DeleteFunc(clone.Finalizers, func(f string) bool { return f == Finalizer })
		if _, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
			return err
		}
		logger.V(3).Info("Removed protection finalizer from PV", "PV", pv.Name)
	}
	return nil
}
