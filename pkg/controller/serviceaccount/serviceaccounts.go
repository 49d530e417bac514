package serviceaccount

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// DefaultServiceAccountName is the service account every namespace gets.
const DefaultServiceAccountName = "default"

// Controller makes sure every active namespace has a "default"
// ServiceAccount, creating it when the namespace appears and again
// whenever it is deleted.
type Controller struct {
	client          kubernetes.Interface
	namespaces      corelisters.NamespaceLister
	serviceAccounts corelisters.ServiceAccountLister
	synced          []cache.InformerSynced
	queue           workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller that watches namespaces and service accounts
// through factory; the caller starts factory and calls Run. It fails if an
// event handler cannot be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	namespaces := factory.Core().V1().Namespaces()
	serviceAccounts := factory.Core().V1().ServiceAccounts()
	c := &Controller{
		client:          client,
		namespaces:      namespaces.Lister(),
		serviceAccounts: serviceAccounts.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	synced, err := eventhandlers.Add(
		// A deleted service account's namespace is queued, so that the
		// default one comes back.
		eventhandlers.For("service account", serviceAccounts.TypedInformer(), coreinformers.ServiceAccountHandlerFuncs{
			DeleteFunc: func(d coreinformers.DeletedServiceAccount) { c.queue.Add(d.GetNamespace()) },
		}),
		eventhandlers.For("namespace", namespaces.TypedInformer(), coreinformers.NamespaceHandlerFuncs{
			AddFunc:    func(ns *corev1.Namespace) { c.queue.Add(ns.Name) },
			UpdateFunc: func(_, ns *corev1.Namespace) { c.queue.Add(ns.Name) },
		}),
	)
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// Run processes namespaces with the given number of workers until ctx is
// done, and returns once they have all stopped. kube-controller-manager
// runs one.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := namespaceLoop("serviceaccount-controller", "service account controller", c.queue, c.synced, c.sync)
	loop.Run(ctx, n)
}

// sync creates the default service account of namespace name if the
// namespace is active and has none.
func (c *Controller) sync(ctx context.Context, name string) error {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() {
		logger.V(4).Info("Finished syncing namespace", "namespace", name, "duration", time.Since(start))
	}()
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		return nil
	}
	var errs []error
	for _, saName := range []string{DefaultServiceAccountName} {
		switch _, err := c.serviceAccounts.ServiceAccounts(name).Get(saName); {
		case err == nil:
			continue
		case !apierrors.IsNotFound(err):
			return err
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: saName, Namespace: name}}
		_, err := c.client.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{})
		switch {
		case err == nil:
			logger.V(2).Info("Created service account", "namespace", name, "name", saName)
		case apierrors.IsAlreadyExists(err),
			// The namespace started terminating after the cache saw it.
			apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		default:
			errs = append(errs, err)
		}
	}
	return utilerrors.Flatten(utilerrors.NewAggregate(errs))
}

// namespaceLoop is the loop both controllers share: wait for the caches,
// then let workers sync queued namespaces, retrying failures with the
// queue's backoff, until ctx is done.
func namespaceLoop(name, title string, queue workqueue.TypedRateLimitingInterface[string],
	synced []cache.InformerSynced, syncNamespace func(context.Context, string) error) *workers.Loop[string] {
	return &workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: queue, Sync: syncNamespace,
			ErrorMessage: "Sync failed", ItemKey: "namespace"},
		Name:   name,
		Title:  title,
		Synced: synced,
	}
}
