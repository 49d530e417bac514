package garbagecollector

import (
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// objectReference names an object in the dependency graph by the
// coordinates an ownerReference carries, plus the namespace needed to reach
// it. It is comparable, so identities can be compared with == and used as
// map and cache keys.
type objectReference struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	UID        types.UID
}

// ownerIdentity is the identity an ownerReference of an object in
// namespace claims for its owner. The namespace is a guess until the
// owner's scope is known: cluster-scoped owners have none.
func ownerIdentity(ref metav1.OwnerReference, namespace string) objectReference {
	return objectReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: namespace, Name: ref.Name, UID: ref.UID}
}

// matches reports whether ref points at r's apiVersion, kind, name and uid.
func (r objectReference) matches(ref metav1.OwnerReference) bool {
	return r.UID == ref.UID && r.Name == ref.Name && r.Kind == ref.Kind && r.APIVersion == ref.APIVersion
}

func (r objectReference) String() string {
	return fmt.Sprintf("[%s/%s, namespace: %s, name: %s, uid: %s]", r.APIVersion, r.Kind, r.Namespace, r.Name, r.UID)
}

// node is one object in the dependency graph. Only the graph builder's
// single goroutine changes nodes; workers read them concurrently, hence the
// lock. A node's identity never changes: the builder replaces the node with
// a copy when it learns a different one.
type node struct {
	identity objectReference

	mu sync.RWMutex
	// dependents are the nodes whose ownerReferences name this node's uid.
	dependents map[*node]struct{}
	// owners are the object's ownerReferences as last observed.
	owners []metav1.OwnerReference
	// virtual is true while the node stands for an owner some dependent
	// names but that no informer has shown yet: it may not exist at all.
	virtual bool
	// beingDeleted is true once the object has a deletionTimestamp; it never
	// goes back.
	beingDeleted bool
	// deletingDependents is true once the object is being deleted with the
	// foregroundDeletion finalizer.
	deletingDependents bool
}

func newNode(identity objectReference, owners []metav1.OwnerReference) *node {
	return &node{identity: identity, owners: owners, dependents: make(map[*node]struct{})}
}

// clone copies n with another identity.
func (n *node) clone(identity objectReference) *node {
	n.mu.RLock()
	defer n.mu.RUnlock()
	c := &node{
		identity:           identity,
		dependents:         make(map[*node]struct{}, len(n.dependents)),
		owners:             append([]metav1.OwnerReference(nil), n.owners...),
		virtual:            n.virtual,
		beingDeleted:       n.beingDeleted,
		deletingDependents: n.deletingDependents,
	}
	for d := range n.dependents {
		c.dependents[d] = struct{}{}
	}
	return c
}

func (n *node) String() string { return n.identity.String() }

func (n *node) isObserved() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return !n.virtual
}

func (n *node) markObserved() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.virtual = false
}

func (n *node) isBeingDeleted() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.beingDeleted
}

func (n *node) markBeingDeleted() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.beingDeleted = true
}

func (n *node) isDeletingDependents() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.deletingDependents
}

func (n *node) markDeletingDependents() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deletingDependents = true
}

func (n *node) getOwners() []metav1.OwnerReference {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.owners
}

func (n *node) setOwners(owners []metav1.OwnerReference) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.owners = owners
}

func (n *node) addDependent(d *node) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dependents[d] = struct{}{}
}

func (n *node) deleteDependent(d *node) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.dependents, d)
}

// replaceDependent swaps old for replacement if old is a dependent of n.
func (n *node) replaceDependent(old, replacement *node) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.dependents[old]; ok {
		delete(n.dependents, old)
		n.dependents[replacement] = struct{}{}
	}
}

func (n *node) dependentCount() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.dependents)
}

// getDependents is a snapshot: the builder may change the set right after.
func (n *node) getDependents() []*node {
	n.mu.RLock()
	defer n.mu.RUnlock()
	deps := make([]*node, 0, len(n.dependents))
	for d := range n.dependents {
		deps = append(deps, d)
	}
	return deps
}

// blockingDependents are the dependents whose ownerReference to n has
// blockOwnerDeletion set: a foreground deletion of n waits for them.
func (n *node) blockingDependents() []*node {
	var blocking []*node
	for _, d := range n.getDependents() {
		for _, ref := range d.getOwners() {
			if ref.UID == n.identity.UID && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking = append(blocking, d)
				break
			}
		}
	}
	return blocking
}

// uidToNode is the graph: every node by uid.
type uidToNode struct {
	mu    sync.RWMutex
	nodes map[types.UID]*node
}

func (g *uidToNode) read(uid types.UID) (*node, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n, ok := g.nodes[uid]
	return n, ok
}

func (g *uidToNode) write(n *node) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nodes[n.identity.UID] = n
}

func (g *uidToNode) delete(uid types.UID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.nodes, uid)
}
