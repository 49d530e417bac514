package garbagecollector

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

var (
	// errVirtualDelete is returned when the item turned out not to exist
	// and a virtual delete event was queued for the builder: nothing to
	// retry.
	errVirtualDelete = errors.New("enqueued virtual delete event")
	// errRetry is returned by the attemptToDelete pool's Sync for an
	// item to retry later; attemptToDeleteWorker has reported why.
	errRetry = errors.New("retry item later")
	// errClusterScopedWithNamespacedOwner is returned for a cluster-scoped
	// object that names a namespaced owner, which retrying cannot fix.
	errClusterScopedWithNamespacedOwner = errors.New("cluster-scoped objects cannot refer to namespaced owners")
)

// attemptToDeletePool is the workers of attemptToDelete.
func (gc *Controller) attemptToDeletePool() *workers.Pool[*node] {
	return &workers.Pool[*node]{
		Queue: gc.attemptToDelete,
		Sync: func(ctx context.Context, item *node) error {
			if gc.attemptToDeleteWorker(ctx, item) {
				return errRetry
			}
			return nil
		},
		OnError: func(_ context.Context, item *node, _ error) { gc.attemptToDelete.AddRateLimited(item) },
	}
}

// attemptToDeleteWorker processes one queued node and reports whether to
// retry it later.
func (gc *Controller) attemptToDeleteWorker(ctx context.Context, n *node) (requeue bool) {
	logger := klog.FromContext(ctx)
	current, inGraph := gc.graph.read(n.identity.UID)
	if !n.isObserved() && (!inGraph || current.isObserved()) {
		// A retried virtual node whose object has since been deleted, or
		// observed: the graph has moved on.
		logger.V(5).Info("Virtual item is no longer virtual in the graph, skipping it", "item", n.identity)
		return false
	}
	if inGraph && (current.identity.APIVersion != n.identity.APIVersion || current.identity.Kind != n.identity.Kind) {
		// Use the apiVersion and kind the object was observed with.
		id := n.identity
		id.APIVersion, id.Kind = current.identity.APIVersion, current.identity.Kind
		n = n.clone(id)
	}

	err := gc.attemptToDeleteItem(ctx, n)
	var mappingErr *restMappingError
	switch {
	case errors.Is(err, errVirtualDelete), errors.Is(err, errClusterScopedWithNamespacedOwner):
		return false
	case errors.As(err, &mappingErr):
		// A type not discovered yet, or one that does not exist: the two
		// cannot be told apart, so retry.
		logger.Error(err, "Error syncing item", "item", n.identity)
		return true
	case err != nil:
		utilruntime.HandleErrorWithContext(ctx, err, "Error syncing item", "item", n.identity)
		return true
	case !n.isObserved():
		// Keep checking until an informer shows the object: a virtual
		// node for an object created and deleted while a watch was down
		// would otherwise stay in the graph.
		logger.V(5).Info("Item has not been observed by an informer yet", "item", n.identity)
		return true
	}
	return false
}

// attemptToDeleteItem reads item from the API server and deletes it if no
// owner of it remains; with owners that remain, it removes the references
// to owners that are gone or deleting their dependents. An owner deleting
// its dependents is finalized here once no dependent blocks it.
func (gc *Controller) attemptToDeleteItem(ctx context.Context, item *node) error {
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Processing item", "item", item.identity, "virtual", !item.isObserved())

	// Being deleted is a one-way trip: wait for the final delete, which
	// queues the dependents.
	if item.isBeingDeleted() && !item.isDeletingDependents() {
		return nil
	}
	latest, err := gc.getObject(ctx, item.identity)
	switch {
	case apierrors.IsNotFound(err):
		// The graph has a virtual node for an owner that does not exist.
		logger.V(5).Info("Item not found, generating a virtual delete event", "item", item.identity)
		gc.enqueueVirtualDeleteEvent(item.identity)
		return errVirtualDelete
	case err != nil:
		return err
	}
	if latest.UID != item.identity.UID {
		logger.V(5).Info("Item's uid does not match, generating a virtual delete event", "item", item.identity)
		gc.enqueueVirtualDeleteEvent(item.identity)
		return errVirtualDelete
	}
	if item.isDeletingDependents() {
		return gc.processDeletingDependentsItem(ctx, item)
	}

	owners := latest.OwnerReferences
	if len(owners) == 0 {
		logger.V(4).Info("Item has no owner", "item", item.identity)
		return nil
	}
	solid, dangling, waiting, err := gc.classifyReferences(ctx, item, owners)
	if err != nil {
		return err
	}
	logger.V(5).Info("Classified item's references", "item", item.identity, "solid", solid, "dangling", dangling, "waitingForDependentsDeletion", waiting)

	switch {
	case len(solid) != 0:
		if len(dangling) == 0 && len(waiting) == 0 {
			return nil
		}
		// Drop references to owners that are gone, and to owners that
		// wait for their dependents: this one outlives them, and a
		// reference would keep them waiting forever.
		logger.V(2).Info("Removing dangling and waiting references from an item that has an owner left",
			"item", item.identity, "dangling", dangling, "waitingForDependentsDeletion", waiting)
		uids := append(referenceUIDs(dangling), referenceUIDs(waiting)...)
		smp, err := deleteOwnerRefStrategicMergePatch(item.identity.UID, uids...)
		if err != nil {
			return err
		}
		return gc.patch(ctx, item, smp, func(ctx context.Context, n *node) ([]byte, error) {
			return gc.deleteOwnerRefJSONMergePatch(ctx, n, uids...)
		})
	case len(waiting) != 0 && item.dependentCount() != 0:
		// An owner deletes its dependents in the foreground and this
		// dependent has dependents of its own: it goes the same way.
		for _, dep := range item.getDependents() {
			if dep.isDeletingDependents() {
				// A dependent that waits for its own dependents may be
				// one of this item's owners: break a possible cycle by
				// making this item's references non-blocking first.
				logger.V(2).Info("Item and one of its dependents both wait for their dependents; unblocking the item's owner references before deleting it in the foreground",
					"item", item.identity, "dependent", dep.identity)
				smp, err := unblockOwnerReferencesStrategicMergePatch(item)
				if err != nil {
					return err
				}
				if err := gc.patch(ctx, item, smp, gc.unblockOwnerReferencesJSONMergePatch); err != nil {
					return err
				}
				break
			}
		}
		logger.V(2).Info("An owner of the item waits for its dependents and the item has dependents: deleting it in the foreground", "item", item.identity)
		return gc.deleteOrVirtual(ctx, item, latest, metav1.DeletePropagationForeground)
	default:
		// No owner left: collect it, honouring a propagation the item was
		// already being deleted with.
		policy := metav1.DeletePropagationBackground
		switch {
		case hasFinalizer(latest, metav1.FinalizerOrphanDependents):
			policy = metav1.DeletePropagationOrphan
		case hasFinalizer(latest, metav1.FinalizerDeleteDependents):
			policy = metav1.DeletePropagationForeground
		}
		logger.V(2).Info("Deleting item", "item", item.identity, "propagationPolicy", policy)
		return gc.deleteOrVirtual(ctx, item, latest, policy)
	}
}

// deleteOrVirtual deletes item as it was at latest; if it is already gone
// it queues a virtual delete event instead.
func (gc *Controller) deleteOrVirtual(ctx context.Context, item *node, latest *metav1.PartialObjectMetadata, policy metav1.DeletionPropagation) error {
	err := gc.deleteObject(ctx, item.identity, latest.ResourceVersion, latest.OwnerReferences, policy)
	if apierrors.IsNotFound(err) {
		gc.enqueueVirtualDeleteEvent(item.identity)
		return errVirtualDelete
	}
	return err
}

// processDeletingDependentsItem removes the foregroundDeletion finalizer
// from item once no dependent blocks it, and otherwise queues the blocking
// dependents.
func (gc *Controller) processDeletingDependentsItem(ctx context.Context, item *node) error {
	logger := klog.FromContext(ctx)
	blocking := item.blockingDependents()
	if len(blocking) == 0 {
		logger.V(2).Info("Removing the foregroundDeletion finalizer: no dependent blocks the item", "item", item.identity)
		return gc.removeFinalizer(ctx, item, metav1.FinalizerDeleteDependents)
	}
	for _, dep := range blocking {
		if !dep.isDeletingDependents() {
			logger.V(2).Info("Queueing a blocking dependent of an item that deletes its dependents", "item", item.identity, "dependent", dep.identity)
			gc.attemptToDelete.Add(dep)
		}
	}
	return nil
}

// classifyReferences sorts item's ownerReferences into owners that exist
// (solid), owners that are gone (dangling) and owners being deleted in the
// foreground (waiting). It asks the API server.
func (gc *Controller) classifyReferences(ctx context.Context, item *node, refs []metav1.OwnerReference) (solid, dangling, waiting []metav1.OwnerReference, err error) {
	for _, ref := range refs {
		gone, owner, err := gc.isDangling(ctx, ref, item)
		if err != nil {
			return nil, nil, nil, err
		}
		switch {
		case gone:
			dangling = append(dangling, ref)
		case owner.DeletionTimestamp != nil && hasFinalizer(owner, metav1.FinalizerDeleteDependents):
			waiting = append(waiting, ref)
		default:
			solid = append(solid, ref)
		}
	}
	return solid, dangling, waiting, nil
}

// isDangling reports whether ref names an owner that does not exist: none
// by that name, or one with another uid. When it asked the API server and
// the owner exists, it returns the owner.
func (gc *Controller) isDangling(ctx context.Context, ref metav1.OwnerReference, item *node) (bool, *metav1.PartialObjectMetadata, error) {
	logger := klog.FromContext(ctx)
	key := ownerIdentity(ref, "")
	if _, ok := gc.absentOwners.Get(key); ok {
		logger.V(5).Info("Owner is known to be absent", "item", item.identity, "owner", key)
		return true, nil, nil
	}
	key.Namespace = item.identity.Namespace
	if _, ok := gc.absentOwners.Get(key); ok {
		logger.V(5).Info("Owner is known to be absent from the namespace", "item", item.identity, "owner", key)
		return true, nil, nil
	}
	gvr, namespaced, err := gc.apiResource(ref.APIVersion, ref.Kind)
	if err != nil {
		return false, nil, err
	}
	if !namespaced {
		key.Namespace = ""
	}
	if item.identity.Namespace == "" && namespaced {
		logger.V(2).Info("Cluster-scoped item names a namespaced owner", "item", item.identity, "owner", ref)
		return false, nil, errClusterScopedWithNamespacedOwner
	}
	client := gc.meta.Resource(gvr)
	var owner *metav1.PartialObjectMetadata
	if namespaced {
		owner, err = client.Namespace(item.identity.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	} else {
		owner, err = client.Get(ctx, ref.Name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		gc.absentOwners.Add(key, struct{}{})
		logger.V(5).Info("Item's owner is not found", "item", item.identity, "owner", ref)
		return true, nil, nil
	case err != nil:
		return false, nil, err
	}
	if owner.UID != ref.UID {
		gc.absentOwners.Add(key, struct{}{})
		logger.V(5).Info("Item's owner is not found: uid mismatch", "item", item.identity, "owner", ref)
		return true, nil, nil
	}
	return false, owner, nil
}

func referenceUIDs(refs []metav1.OwnerReference) []types.UID {
	uids := make([]types.UID, 0, len(refs))
	for _, ref := range refs {
		uids = append(uids, ref.UID)
	}
	return uids
}

// orphanParallelism is how many dependents of one owner are patched at once.
const orphanParallelism = 16

// attemptToOrphanPool is the workers of attemptToOrphan: each removes a
// queued owner's references from all its dependents the graph knows and
// then the owner's orphan finalizer, and retries the owner later if either
// fails.
func (gc *Controller) attemptToOrphanPool() *workers.Pool[*node] {
	return &workers.Pool[*node]{
		Queue: gc.attemptToOrphan,
		Sync: func(ctx context.Context, owner *node) error {
			if err := gc.orphanDependents(ctx, owner.identity, owner.getDependents()); err != nil {
				return err
			}
			return gc.removeFinalizer(ctx, owner, metav1.FinalizerOrphanDependents)
		},
		OnError: func(ctx context.Context, owner *node, err error) {
			utilruntime.HandleErrorWithContext(ctx, err, "Could not orphan dependents", "owner", owner.identity)
			gc.attemptToOrphan.AddRateLimited(owner)
		},
	}
}

// orphanDependents removes the references to owner from dependents, in
// parallel; a dependent already gone is fine.
func (gc *Controller) orphanDependents(ctx context.Context, owner objectReference, dependents []*node) error {
	errs := make(chan error, len(dependents))
	done := make(chan struct{})
	// Bound the requests in flight: an owner may have thousands.
	slots := make(chan struct{}, orphanParallelism)
	for _, dep := range dependents {
		go func() {
			slots <- struct{}{}
			defer func() { <-slots; done <- struct{}{} }()
			smp, err := deleteOwnerRefStrategicMergePatch(dep.identity.UID, owner.UID)
			if err == nil {
				// A reference already gone is no error for a strategic
				// merge patch.
				err = gc.patch(ctx, dep, smp, func(ctx context.Context, n *node) ([]byte, error) {
					return gc.deleteOwnerRefJSONMergePatch(ctx, n, owner.UID)
				})
			}
			if err != nil && !apierrors.IsNotFound(err) {
				errs <- fmt.Errorf("orphaning %s failed: %w", dep.identity, err)
			}
		}()
	}
	for range dependents {
		<-done
	}
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if len(all) != 0 {
		return fmt.Errorf("failed to orphan dependents of owner %s: %w", owner, errors.Join(all...))
	}
	klog.FromContext(ctx).V(5).Info("Orphaned all dependents", "owner", owner)
	return nil
}
