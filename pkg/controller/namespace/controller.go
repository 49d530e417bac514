package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// finalizerEstimateSeconds is how long objects that wait on finalizers are
// assumed to need, as upstream assumes.
const finalizerEstimateSeconds int64 = 15

// Controller empties namespaces that are being deleted, keeps their
// deletion conditions up to date and, once nothing is left, removes the
// "kubernetes" finalizer so that the API server removes the namespace.
type Controller struct {
	client    kubernetes.Interface
	meta      metadata.Interface
	discovery discovery.DiscoveryInterface
	lister    corelisters.NamespaceLister
	synced    []cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller that watches namespaces through factory; the
// caller starts factory and calls Run. Clients should not be throttled
// much: emptying a namespace takes a few requests per resource type. It
// fails if its event handler cannot be added.
func New(client kubernetes.Interface, meta metadata.Interface, disc discovery.DiscoveryInterface, factory informers.SharedInformerFactory) (*Controller, error) {
	informer := factory.Core().V1().Namespaces()
	c := &Controller{
		client:    client,
		meta:      meta,
		discovery: disc,
		lister:    informer.Lister(),
		// Upstream's limiter: per-item backoff from 5ms to a minute, so a
		// stuck namespace is retried at least every minute, and 10 retries
		// a second overall.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedMaxOfRateLimiter(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, time.Minute),
			&workqueue.TypedBucketRateLimiter[string]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
		)),
	}
	synced, err := eventhandlers.Add(eventhandlers.For("namespace", informer.TypedInformer(), coreinformers.NamespaceHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, ns *corev1.Namespace) { c.enqueue(ns) },
	}))
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// enqueue queues a namespace that is being deleted. Unlike upstream it does
// not wait 5s first: that delay lets HA API servers and etcd members catch
// up, and a fakecluster has one API server over one store.
func (c *Controller) enqueue(ns *corev1.Namespace) {
	if ns.DeletionTimestamp == nil {
		return
	}
	c.queue.Add(ns.Name)
}

// Run processes namespaces with the given number of workers until ctx is
// done, and returns once they have all stopped.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := workers.Loop[string]{
		Pool:   workers.Pool[string]{Queue: c.queue, Sync: c.sync, OnError: c.retry},
		Name:   "namespace-controller",
		Title:  "namespace controller",
		Synced: c.synced,
	}
	loop.Run(ctx, n)
}

// retry checks a namespace whose content is still going again once about
// half its estimate has passed, and retries any other failure with the
// queue's backoff.
func (c *Controller) retry(ctx context.Context, key string, err error) {
	var remaining *ResourcesRemainingError
	if errors.As(err, &remaining) {
		after := time.Duration(remaining.Estimate/2+1) * time.Second
		klog.FromContext(ctx).V(4).Info("Content remaining in namespace", "namespace", key, "waitSeconds", after.Seconds())
		c.queue.AddAfter(key, after)
		return
	}
	c.queue.AddRateLimited(key)
	utilruntime.HandleErrorWithContext(ctx, err, "Deletion of namespace failed", "namespace", key)
}

// ResourcesRemainingError says that content was deleted but some is still
// there, and about how many seconds it should take to go.
type ResourcesRemainingError struct {
	Estimate int64
}

func (e *ResourcesRemainingError) Error() string {
	return fmt.Sprintf("some content remains in the namespace, estimate %d seconds before it is removed", e.Estimate)
}

// sync empties the namespace name if it is being deleted and finalizes it
// once it is empty.
func (c *Controller) sync(ctx context.Context, name string) error {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() {
		logger.V(4).Info("Finished syncing namespace", "namespace", name, "duration", time.Since(start))
	}()

	cached, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if cached.DeletionTimestamp == nil {
		return nil
	}
	// Other clients may change the namespace while it terminates: work
	// from its latest state.
	ns, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	if ns, err = c.markTerminating(ctx, ns); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if len(ns.Spec.Finalizers) == 0 {
		return nil
	}

	estimate, err := c.deleteAllContent(ctx, ns)
	if err != nil {
		return err
	}
	if estimate > 0 {
		return &ResourcesRemainingError{Estimate: estimate}
	}
	if err := c.finalize(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("finalize namespace %s: %w", name, err)
	}
	logger.V(2).Info("Namespace finalized", "namespace", name)
	return nil
}

// markTerminating sets status.phase Terminating if it is not yet.
func (c *Controller) markTerminating(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	if ns.Status.Phase == corev1.NamespaceTerminating {
		return ns, nil
	}
	ns = ns.DeepCopy()
	ns.Status.Phase = corev1.NamespaceTerminating
	return c.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
}

// finalize removes the "kubernetes" finalizer through namespaces/finalize,
// retrying on conflicts with the latest namespace of the same UID.
func (c *Controller) finalize(ctx context.Context, ns *corev1.Namespace) error {
	namespaces := c.client.CoreV1().Namespaces()
	latest := ns
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if latest == nil {
			got, err := namespaces.Get(ctx, ns.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if got.UID != ns.UID {
				return fmt.Errorf("namespace %s was replaced (uid %s, was %s)", ns.Name, got.UID, ns.UID)
			}
			latest = got
		}
		update := latest.DeepCopy()
		update.Spec.Finalizers = slices.DeleteFunc(update.Spec.Finalizers, func(f corev1.FinalizerName) bool {
			return f == corev1.FinalizerKubernetes
		})
		latest = nil
		_, err := namespaces.Finalize(ctx, update, metav1.UpdateOptions{})
		return err
	})
}

// verbs says which collection verbs a resource supports.
type verbs struct {
	list, deleteCollection bool
}

// deleteAllContent deletes everything in ns and updates its conditions. It
// returns an estimate in seconds of how long the remaining content needs to
// go; 0 with a nil error means nothing is left.
func (c *Controller) deleteAllContent(ctx context.Context, ns *corev1.Namespace) (int64, error) {
	var errs []error
	var conds conditions

	// Discovery errors are not fatal: the resources that were discovered
	// can still be emptied.
	resources, err := c.discovery.ServerPreferredNamespacedResources()
	if err != nil {
		errs = append(errs, err)
		conds.discoveryFailed(err)
	}
	deletable := discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"delete"}}, resources)
	supported := map[schema.GroupVersionResource]verbs{}
	for _, list := range deletable {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			errs = append(errs, err)
			conds.groupVersionParsingFailed(err)
			continue
		}
		for _, r := range list.APIResources {
			supported[gv.WithResource(r.Name)] = verbs{
				list:             slices.Contains(r.Verbs, "list"),
				deleteCollection: slices.Contains(r.Verbs, "deletecollection"),
			}
		}
	}
	gvrs := make([]schema.GroupVersionResource, 0, len(supported))
	for gvr := range supported {
		gvrs = append(gvrs, gvr)
	}
	sort.Slice(gvrs, func(i, j int) bool { return gvrs[i].String() < gvrs[j].String() })

	var estimate int64
	remaining := map[schema.GroupVersionResource]int{}
	finalizers := map[string]int{}
	for _, gvr := range gvrs {
		left, err := c.deleteAllOf(ctx, gvr, supported[gvr], ns)
		if err != nil {
			errs = append(errs, err)
			conds.contentErrs = append(conds.contentErrs, err)
		}
		estimate = max(estimate, left.estimate)
		if left.count > 0 {
			remaining[gvr] = left.count
			for f, n := range left.finalizers {
				finalizers[f] += n
			}
		}
	}
	conds.contentRemaining(remaining, finalizers)

	// Always write the conditions back: a failure that went away must say
	// so too.
	if conds.apply(&ns.Status) {
		if _, err := c.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{}); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Could not update namespace status conditions", "namespace", ns.Name)
		}
	}
	return estimate, utilerrors.NewAggregate(errs)
}

// leftover is what is left of one resource after deleting all of it.
type leftover struct {
	// estimate is how many more seconds to wait; 0 does not mean nothing is
	// left.
	estimate int64
	// count is how many objects remain.
	count int
	// finalizers counts the remaining objects by finalizer.
	finalizers map[string]int
}

// deleteAllOf deletes every gvr object in ns, with a DeleteCollection or,
// where that is not supported, one delete per listed object, then lists
// what is left.
func (c *Controller) deleteAllOf(ctx context.Context, gvr schema.GroupVersionResource, v verbs, ns *corev1.Namespace) (leftover, error) {
	estimate, err := c.estimateGracefulTermination(ctx, gvr, ns)
	if err != nil {
		return leftover{}, fmt.Errorf("estimate graceful termination of %s in namespace %s: %w", gvr, ns.Name, err)
	}
	client := c.meta.Resource(gvr).Namespace(ns.Name)
	// Background propagation: the garbage collector must not orphan
	// dependents, which go with the namespace anyway.
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}

	deleted := false
	if v.deleteCollection {
		err := client.DeleteCollection(ctx, opts, metav1.ListOptions{})
		switch {
		case err == nil:
			deleted = true
		case apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err):
		default:
			return leftover{estimate: estimate}, err
		}
	}
	if !v.list {
		return leftover{estimate: estimate}, nil
	}
	if !deleted {
		items, err := client.List(ctx, metav1.ListOptions{})
		if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
			return leftover{estimate: estimate}, nil
		}
		if err != nil {
			return leftover{estimate: estimate}, err
		}
		for _, item := range items.Items {
			err := client.Delete(ctx, item.Name, opts)
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
				return leftover{estimate: estimate}, err
			}
		}
	}

	items, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		return leftover{estimate: estimate}, nil
	}
	if err != nil {
		return leftover{estimate: estimate}, err
	}
	if len(items.Items) == 0 {
		return leftover{}, nil
	}
	left := leftover{estimate: estimate, count: len(items.Items), finalizers: map[string]int{}}
	for _, item := range items.Items {
		for _, f := range item.Finalizers {
			left.finalizers[f]++
		}
	}
	switch {
	case estimate > 0:
		return left, nil
	case len(left.finalizers) > 0:
		// Waiting on finalizers is normal: give them time.
		left.estimate = finalizerEstimateSeconds
		return left, nil
	default:
		return left, fmt.Errorf("unexpected items still remain in namespace: %s for gvr: %v", ns.Name, gvr)
	}
}

// estimateGracefulTermination is, for pods, the longest termination grace
// period of a pod that is not finished, unless that much time has passed
// since the namespace was deleted; 0 for everything else.
func (c *Controller) estimateGracefulTermination(ctx context.Context, gvr schema.GroupVersionResource, ns *corev1.Namespace) (int64, error) {
	if gvr.Group != "" || gvr.Resource != "pods" {
		return 0, nil
	}
	pods, err := c.client.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	var estimate int64
	for _, pod := range pods.Items {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		if grace := pod.Spec.TerminationGracePeriodSeconds; grace != nil {
			estimate = max(estimate, *grace)
		}
	}
	if time.Since(ns.DeletionTimestamp.Time) >= time.Duration(estimate)*time.Second {
		return 0, nil
	}
	return estimate, nil
}

// conditionTypes are the namespace conditions this controller owns, in the
// order upstream adds them.
func conditionTypes() []corev1.NamespaceConditionType {
	return []corev1.NamespaceConditionType{
		corev1.NamespaceDeletionDiscoveryFailure,
		corev1.NamespaceDeletionGVParsingFailure,
		corev1.NamespaceDeletionContentFailure,
		corev1.NamespaceContentRemaining,
		corev1.NamespaceFinalizersRemaining,
	}
}

// okCondition is the condition of type t when nothing is wrong, with
// upstream's reasons and messages.
func okCondition(t corev1.NamespaceConditionType) corev1.NamespaceCondition {
	c := corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: metav1.Now()}
	switch t {
	case corev1.NamespaceDeletionDiscoveryFailure:
		c.Reason, c.Message = "ResourcesDiscovered", "All resources successfully discovered"
	case corev1.NamespaceDeletionGVParsingFailure:
		c.Reason, c.Message = "ParsedGroupVersions", "All legacy kube types successfully parsed"
	case corev1.NamespaceDeletionContentFailure:
		c.Reason, c.Message = "ContentDeleted", "All content successfully deleted, may be waiting on finalization"
	case corev1.NamespaceContentRemaining:
		c.Reason, c.Message = "ContentRemoved", "All content successfully removed"
	case corev1.NamespaceFinalizersRemaining:
		c.Reason, c.Message = "ContentHasNoFinalizers", "All content-preserving finalizers finished"
	}
	return c
}

// conditions collects what went wrong in one pass over a namespace.
type conditions struct {
	failed      []corev1.NamespaceCondition
	contentErrs []error
}

func (cs *conditions) add(t corev1.NamespaceConditionType, reason, message string) {
	cs.failed = append(cs.failed, corev1.NamespaceCondition{
		Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now(), Reason: reason, Message: message,
	})
}

func (cs *conditions) discoveryFailed(err error) {
	msg := err.Error()
	var groups *discovery.ErrGroupDiscoveryFailed
	if errors.As(err, &groups) {
		msg = fmt.Sprintf("Discovery failed for some groups, %d failing: %v", len(groups.Groups), err)
	}
	cs.add(corev1.NamespaceDeletionDiscoveryFailure, "DiscoveryFailed", msg)
}

func (cs *conditions) groupVersionParsingFailed(err error) {
	cs.add(corev1.NamespaceDeletionGVParsingFailure, "GroupVersionParsingFailed", err.Error())
}

func (cs *conditions) contentRemaining(remaining map[schema.GroupVersionResource]int, finalizers map[string]int) {
	if len(remaining) > 0 {
		var parts []string
		for gvr, n := range remaining {
			parts = append(parts, fmt.Sprintf("%s.%s has %d resource instances", gvr.Resource, gvr.Group, n))
		}
		sort.Strings(parts)
		cs.add(corev1.NamespaceContentRemaining, "SomeResourcesRemain",
			"Some resources are remaining: "+strings.Join(parts, ", "))
	}
	if len(finalizers) > 0 {
		var parts []string
		for f, n := range finalizers {
			parts = append(parts, fmt.Sprintf("%s in %d resource instances", f, n))
		}
		sort.Strings(parts)
		cs.add(corev1.NamespaceFinalizersRemaining, "SomeFinalizersRemain",
			"Some content in the namespace has finalizers remaining: "+strings.Join(parts, ", "))
	}
}

// apply sets every condition type this controller owns on status, to the
// failure found or else to its "ok" variant, and says whether anything
// changed. LastTransitionTime moves only when the status does.
func (cs *conditions) apply(status *corev1.NamespaceStatus) bool {
	if len(cs.contentErrs) > 0 {
		msgs := make([]string, 0, len(cs.contentErrs))
		for _, err := range cs.contentErrs {
			msgs = append(msgs, err.Error())
		}
		sort.Strings(msgs)
		cs.add(corev1.NamespaceDeletionContentFailure, "ContentDeletionFailed",
			fmt.Sprintf("Failed to delete all resource types, %d remaining: %v", len(msgs), strings.Join(msgs, ", ")))
	}
	changed := false
	for _, t := range conditionTypes() {
		want := okCondition(t)
		if i := slices.IndexFunc(cs.failed, func(c corev1.NamespaceCondition) bool { return c.Type == t }); i >= 0 {
			want = cs.failed[i]
		}
		i := slices.IndexFunc(status.Conditions, func(c corev1.NamespaceCondition) bool { return c.Type == t })
		if i < 0 {
			status.Conditions = append(status.Conditions, want)
			changed = true
			continue
		}
		old := &status.Conditions[i]
		if old.Status == want.Status && old.Reason == want.Reason && old.Message == want.Message {
			continue
		}
		if old.Status != want.Status {
			old.LastTransitionTime = want.LastTransitionTime
		}
		old.Status, old.Reason, old.Message = want.Status, want.Reason, want.Message
		changed = true
	}
	return changed
}
