package garbagecollector

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

type eventType int

const (
	addEvent eventType = iota
	updateEvent
	deleteEvent
)

func (t eventType) String() string {
	switch t {
	case addEvent:
		return "add"
	case updateEvent:
		return "update"
	case deleteEvent:
		return "delete"
	}
	return fmt.Sprintf("unknown(%d)", int(t))
}

// event is a change to the graph: from an informer, or virtual, when a
// worker found that an object the graph holds does not exist.
type event struct {
	virtual   bool
	eventType eventType
	obj       *metav1.PartialObjectMetadata
	// oldObj is the previous state for informer updates, else nil.
	oldObj *metav1.PartialObjectMetadata
	gvk    schema.GroupVersionKind
	// barrier, if set, makes this event a marker: the builder closes it
	// when it gets there, having applied every event queued before.
	barrier chan struct{}
}

// newMetadataInformer is an informer of gvr's metadata, which holds only
// *metav1.PartialObjectMetadata.
func newMetadataInformer(client metadata.Interface, gvr schema.GroupVersionResource) cache.TypedSharedIndexInformer[*metav1.PartialObjectMetadata] {
	informer := metadatainformer.NewFilteredMetadataInformer(client, gvr, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
	return cache.NewTypedSharedIndexInformer[*metav1.PartialObjectMetadata](informer)
}

// enqueueVirtualDeleteEvent tells the builder that ref does not exist.
func (gc *Controller) enqueueVirtualDeleteEvent(ref objectReference) {
	gv, _ := schema.ParseGroupVersion(ref.APIVersion)
	gc.graphChanges.Add(&event{
		virtual:   true,
		eventType: deleteEvent,
		gvk:       gv.WithKind(ref.Kind),
		obj: &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: ref.APIVersion, Kind: ref.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, UID: ref.UID},
		},
	})
}

func identityOf(ev *event, obj metav1.Object) objectReference {
	return objectReference{
		APIVersion: ev.gvk.GroupVersion().String(),
		Kind:       ev.gvk.Kind,
		Namespace:  obj.GetNamespace(),
		Name:       obj.GetName(),
		UID:        obj.GetUID(),
	}
}

// processGraphChanges applies one event to the graph and queues the nodes
// it may have made collectable. It returns false once the queue is shut
// down.
func (gc *Controller) processGraphChanges(ctx context.Context) bool {
	ev, quit := gc.graphChanges.Get()
	if quit {
		return false
	}
	defer gc.graphChanges.Done(ev)
	if ev.barrier != nil {
		close(ev.barrier)
		return true
	}
	logger := klog.FromContext(ctx)
	obj := ev.obj
	if obj == nil {
		logger.Error(nil, "Ignoring an event without object metadata", "eventType", ev.eventType, "kind", ev.gvk)
		return true
	}
	logger.V(5).Info("Graph change", "eventType", ev.eventType, "virtual", ev.virtual,
		"kind", ev.gvk, "object", klog.KObj(obj), "uid", obj.GetUID())

	existing, found := gc.graph.read(obj.GetUID())
	if found && !ev.virtual && !existing.isObserved() {
		existing = gc.observe(logger, ev, obj, existing)
	}
	switch {
	case ev.eventType != deleteEvent && !found:
		n := newNode(identityOf(ev, obj), obj.GetOwnerReferences())
		n.beingDeleted = obj.GetDeletionTimestamp() != nil
		n.deletingDependents = n.beingDeleted && hasFinalizer(obj, metav1.FinalizerDeleteDependents)
		gc.graph.write(n)
		gc.addDependentToOwners(logger, n, n.owners)
		gc.processTransitions(logger, ev.oldObj, obj, n)
	case ev.eventType != deleteEvent:
		gc.update(logger, ev, obj, existing)
	case !found:
		logger.V(5).Info("Deleted object was not in the graph", "uid", obj.GetUID())
	default:
		gc.remove(logger, ev, obj, existing)
	}
	return true
}

// observe turns the virtual node existing into an observed one, with the
// identity the informer shows. Dependents that named the owner otherwise
// are queued: their reference may be wrong.
func (gc *Controller) observe(logger klog.Logger, ev *event, obj metav1.Object, existing *node) *node {
	observed := identityOf(ev, obj)
	if observed != existing.identity {
		_, mismatched := partitionDependents(existing.getDependents(), observed)
		for _, dep := range mismatched {
			if observed.Namespace != "" && dep.identity.Namespace != observed.Namespace {
				logger.V(2).Info("Object names an owner in another namespace", "item", dep.identity, "owner", observed)
				gc.reportInvalidNamespaceOwnerRef(dep, observed.UID)
			}
			gc.attemptToDelete.Add(dep)
		}
		logger.V(2).Info("Replacing virtual item with observed item", "virtual", existing.identity, "observed", observed)
		existing = existing.clone(observed)
		gc.graph.write(existing)
	}
	existing.markObserved()
	return existing
}

// update applies an add or update of an object the graph already has.
func (gc *Controller) update(logger klog.Logger, ev *event, obj metav1.Object, existing *node) {
	if !ev.virtual && (existing.identity.APIVersion != ev.gvk.GroupVersion().String() || existing.identity.Kind != ev.gvk.Kind) {
		// The object was first seen through another version or kind.
		old := existing
		id := existing.identity
		id.APIVersion, id.Kind = ev.gvk.GroupVersion().String(), ev.gvk.Kind
		existing = existing.clone(id)
		gc.graph.write(existing)
		for _, ref := range existing.getOwners() {
			if owner, ok := gc.graph.read(ref.UID); ok {
				owner.replaceDependent(old, existing)
			}
		}
	}
	added, removed, changed := referencesDiffs(existing.getOwners(), obj.GetOwnerReferences())
	if len(added)+len(removed)+len(changed) != 0 {
		// An owner waiting for blocking dependents may be free now.
		gc.addUnblockedOwnersToDeleteQueue(logger, removed, changed)
		existing.setOwners(obj.GetOwnerReferences())
		gc.addDependentToOwners(logger, existing, added)
		gc.removeDependentFromOwners(existing, removed)
	}
	if obj.GetDeletionTimestamp() != nil {
		existing.markBeingDeleted()
	}
	gc.processTransitions(logger, ev.oldObj, obj, existing)
}

// remove applies a delete, real or virtual, of an object the graph has.
func (gc *Controller) remove(logger klog.Logger, ev *event, obj metav1.Object, existing *node) {
	if ev.virtual {
		deleted := identityOf(ev, obj)
		if existing.isObserved() {
			if existing.identity == deleted {
				gc.removeNode(logger, ev, obj, existing)
				return
			}
			// The object exists under another identity: only the
			// dependents that named it by the absent one are orphans.
			matching, _ := partitionDependents(existing.getDependents(), deleted)
			gc.markAbsent(deleted, matching)
			return
		}
		// A virtual node stands for whatever its dependents named. If some
		// named it differently, the node stays for them.
		matching, mismatched := partitionDependents(existing.getDependents(), deleted)
		if len(mismatched) > 0 {
			gc.markAbsent(deleted, matching)
			if existing.identity == deleted {
				if alt := alternateOwnerIdentity(mismatched, deleted); alt != nil {
					replacement := existing.clone(*alt)
					gc.graph.write(replacement)
					gc.attemptToDelete.AddRateLimited(replacement)
				}
			}
			return
		}
	}
	gc.removeNode(logger, ev, obj, existing)
}

// markAbsent remembers that identity is gone and queues the dependents that
// named it.
func (gc *Controller) markAbsent(identity objectReference, dependents []*node) {
	if len(dependents) == 0 {
		return
	}
	gc.absentOwners.Add(identity, struct{}{})
	for _, dep := range dependents {
		gc.attemptToDelete.Add(dep)
	}
}

// removeNode drops existing from the graph and queues its dependents, now
// without that owner, and its owners that wait for their dependents.
func (gc *Controller) removeNode(logger klog.Logger, ev *event, obj metav1.Object, existing *node) {
	gc.graph.delete(existing.identity.UID)
	gc.removeDependentFromOwners(existing, existing.getOwners())
	deps := existing.getDependents()
	if len(deps) > 0 {
		gc.absentOwners.Add(identityOf(ev, obj), struct{}{})
	}
	for _, dep := range deps {
		gc.attemptToDelete.Add(dep)
	}
	for _, ref := range existing.getOwners() {
		if owner, ok := gc.graph.read(ref.UID); ok && owner.isDeletingDependents() {
			logger.V(5).Info("Dependent of an owner deleting its dependents is gone", "item", existing.identity, "owner", owner.identity)
			gc.attemptToDelete.Add(owner)
		}
	}
}

// addDependentToOwners records n as a dependent of each of owners. An owner
// the graph does not have becomes a virtual node, queued so that a worker
// checks whether it exists. n is queued if a reference looks wrong for an
// owner already known.
func (gc *Controller) addDependentToOwners(logger klog.Logger, n *node, owners []metav1.OwnerReference) {
	suspect := false
	for _, ref := range owners {
		owner, ok := gc.graph.read(ref.UID)
		if !ok {
			owner = newNode(ownerIdentity(ref, n.identity.Namespace), nil)
			owner.virtual = true
			logger.V(5).Info("Adding virtual owner", "identity", owner.identity)
			gc.graph.write(owner)
			owner.addDependent(n)
			gc.attemptToDelete.Add(owner)
			continue
		}
		owner.addDependent(n)
		if suspect {
			continue
		}
		ownerNamespaced := owner.identity.Namespace != ""
		switch {
		case ownerNamespaced && owner.identity.Namespace != n.identity.Namespace:
			if owner.isObserved() {
				// A namespaced owner in another namespace is never right;
				// cluster-scoped owners may be named from anywhere.
				logger.V(2).Info("Object names an owner in another namespace", "item", n.identity, "owner", owner.identity)
				gc.reportInvalidNamespaceOwnerRef(n, ref.UID)
			}
			suspect = true
		case !owner.identity.matches(ref):
			if owner.isObserved() {
				logger.V(2).Info("Object names an owner by coordinates that do not match the observed owner", "item", n.identity, "owner", owner.identity)
			}
			suspect = true
		case !ownerNamespaced && owner.identity.Namespace != n.identity.Namespace && !owner.isObserved():
			// A virtual cluster-scoped owner named from another namespace
			// may really be a namespaced owner that is missing.
			suspect = true
		}
	}
	if suspect {
		gc.attemptToDelete.Add(n)
	}
}

// reportInvalidNamespaceOwnerRef records a warning event on n for its
// reference to ownerUID, an owner in another namespace.
func (gc *Controller) reportInvalidNamespaceOwnerRef(n *node, ownerUID types.UID) {
	for _, ref := range n.getOwners() {
		if ref.UID != ownerUID {
			continue
		}
		invalid := ownerIdentity(ref, n.identity.Namespace)
		gc.recorder.Eventf(&corev1.ObjectReference{
			APIVersion: n.identity.APIVersion, Kind: n.identity.Kind,
			Namespace: n.identity.Namespace, Name: n.identity.Name, UID: n.identity.UID,
		}, corev1.EventTypeWarning, "OwnerRefInvalidNamespace", "ownerRef %s does not exist in namespace %q", invalid, n.identity.Namespace)
		return
	}
}

func (gc *Controller) removeDependentFromOwners(n *node, owners []metav1.OwnerReference) {
	for _, ref := range owners {
		if owner, ok := gc.graph.read(ref.UID); ok {
			owner.deleteDependent(n)
		}
	}
}

// addUnblockedOwnersToDeleteQueue queues the owners that a dependent
// stopped blocking, by dropping a blocking reference or clearing
// blockOwnerDeletion on it.
func (gc *Controller) addUnblockedOwnersToDeleteQueue(logger klog.Logger, removed []metav1.OwnerReference, changed []ownerRefPair) {
	queue := func(uid types.UID) {
		if owner, ok := gc.graph.read(uid); ok {
			gc.attemptToDelete.Add(owner)
		} else {
			logger.V(5).Info("Unblocked owner is not in the graph", "uid", uid)
		}
	}
	for _, ref := range removed {
		if blocks(ref) {
			queue(ref.UID)
		}
	}
	for _, c := range changed {
		if blocks(c.old) && !blocks(c.new) {
			queue(c.new.UID)
		}
	}
}

func blocks(ref metav1.OwnerReference) bool {
	return ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion
}

// processTransitions queues n when this event starts its orphaning or its
// foreground deletion.
func (gc *Controller) processTransitions(logger klog.Logger, oldObj *metav1.PartialObjectMetadata, obj metav1.Object, n *node) {
	if deletionStartsWithFinalizer(oldObj, obj, metav1.FinalizerOrphanDependents) {
		logger.V(5).Info("Queueing item to orphan its dependents", "item", n.identity)
		gc.attemptToOrphan.Add(n)
		return
	}
	if deletionStartsWithFinalizer(oldObj, obj, metav1.FinalizerDeleteDependents) {
		logger.V(2).Info("Queueing item and its dependents: it waits for its dependents to be deleted", "item", n.identity)
		// A node that was virtual may not have the flag yet.
		n.markDeletingDependents()
		for _, dep := range n.getDependents() {
			gc.attemptToDelete.Add(dep)
		}
		gc.attemptToDelete.Add(n)
	}
}

// deletionStartsWithFinalizer reports whether obj is being deleted with
// finalizer and oldObj (nil for a first sighting) was not.
func deletionStartsWithFinalizer(oldObj *metav1.PartialObjectMetadata, obj metav1.Object, finalizer string) bool {
	if obj.GetDeletionTimestamp() == nil || !hasFinalizer(obj, finalizer) {
		return false
	}
	if oldObj == nil {
		return true
	}
	return oldObj.GetDeletionTimestamp() == nil || !hasFinalizer(oldObj, finalizer)
}

func hasFinalizer(obj metav1.Object, finalizer string) bool {
	return slices.Contains(obj.GetFinalizers(), finalizer)
}

type ownerRefPair struct{ old, new metav1.OwnerReference }

// referencesDiffs compares two ownerReference lists by uid.
func referencesDiffs(old, new []metav1.OwnerReference) (added, removed []metav1.OwnerReference, changed []ownerRefPair) {
	oldByUID := make(map[types.UID]metav1.OwnerReference, len(old))
	for _, ref := range old {
		oldByUID[ref.UID] = ref
	}
	for _, ref := range new {
		prev, ok := oldByUID[ref.UID]
		if !ok {
			added = append(added, ref)
			continue
		}
		if !reflect.DeepEqual(prev, ref) {
			changed = append(changed, ownerRefPair{old: prev, new: ref})
		}
		delete(oldByUID, ref.UID)
	}
	for _, ref := range old {
		if _, ok := oldByUID[ref.UID]; ok {
			removed = append(removed, ref)
		}
	}
	return added, removed, changed
}

// partitionDependents splits deps into those with a reference to owner's
// uid that matches owner's coordinates and those with one that does not; a
// dependent with both kinds of reference is in both. A namespaced owner
// matches no dependent in another namespace.
func partitionDependents(deps []*node, owner objectReference) (matching, mismatched []*node) {
	for _, dep := range deps {
		match, mismatch := false, false
		if owner.Namespace != "" && owner.Namespace != dep.identity.Namespace {
			mismatch = true
		} else {
			for _, ref := range dep.getOwners() {
				if ref.UID != owner.UID {
					continue
				}
				if owner.matches(ref) {
					match = true
				} else {
					mismatch = true
				}
			}
		}
		if match {
			matching = append(matching, dep)
		}
		if mismatch {
			mismatched = append(mismatched, dep)
		}
	}
	return matching, mismatched
}

// referenceLess orders identities by kind, apiVersion, namespace, name and
// uid, so that alternate identities are tried in a stable order.
func referenceLess(a, b objectReference) bool {
	switch {
	case a.Kind != b.Kind:
		return a.Kind < b.Kind
	case a.APIVersion != b.APIVersion:
		return a.APIVersion < b.APIVersion
	case a.Namespace != b.Namespace:
		return a.Namespace < b.Namespace
	case a.Name != b.Name:
		return a.Name < b.Name
	}
	return a.UID < b.UID
}

// alternateOwnerIdentity returns another identity that deps give the owner
// with absent's uid: the first after absent in referenceLess order, else
// the first, else nil.
func alternateOwnerIdentity(deps []*node, absent objectReference) *objectReference {
	clusterScoped := absent.Namespace == ""
	seen := map[objectReference]bool{absent: true}
	var first, firstAfter *objectReference
	for _, dep := range deps {
		for _, ref := range dep.getOwners() {
			if ref.UID != absent.UID {
				continue
			}
			if absent.matches(ref) && (clusterScoped || absent.Namespace == dep.identity.Namespace) {
				continue
			}
			alt := ownerIdentity(ref, dep.identity.Namespace)
			if clusterScoped && alt.APIVersion == absent.APIVersion && alt.Kind == absent.Kind {
				// That kind is known to be cluster-scoped.
				alt.Namespace = ""
			}
			if seen[alt] {
				continue
			}
			seen[alt] = true
			if first == nil || referenceLess(alt, *first) {
				first = &alt
			}
			if referenceLess(absent, alt) && (firstAfter == nil || referenceLess(alt, *firstAfter)) {
				firstAfter = &alt
			}
		}
	}
	if firstAfter != nil {
		return firstAfter
	}
	return first
}
