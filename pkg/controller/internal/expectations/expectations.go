// Package expectations remembers, per controller key, how many creations
// and deletions a workload controller has asked for and not yet seen in
// its informer, as upstream's ControllerExpectations do. Until they have
// been seen (or a timeout passes, for events that never come) the
// controller's cache is behind its own writes, and a sync would create or
// delete the same pods again.
package expectations

import (
	"sync"
	"time"
)

// Timeout is how long expectations stand before a sync goes ahead anyway,
// upstream's ExpectationsTimeout.
const Timeout = 5 * time.Minute

// Expectations are the pending creations and deletions of each key.
type Expectations struct {
	mu  sync.Mutex
	m   map[string]*pending
	now func() time.Time
}

type pending struct {
	adds int
	// dels are the keys of the objects whose deletion is expected: a
	// graceful deletion is seen twice (deletionTimestamp set, then gone),
	// and counting it twice would satisfy the expectation early.
	dels map[string]bool
	at   time.Time
}

// New returns empty expectations.
func New() *Expectations {
	return &Expectations{m: map[string]*pending{}, now: time.Now}
}

// ExpectCreations records that key's controller is about to create adds
// objects, replacing what it expected before.
func (e *Expectations) ExpectCreations(key string, adds int) { e.Expect(key, adds, nil) }

// ExpectDeletions records that key's controller is about to delete the
// objects of the given keys, replacing what it expected before.
func (e *Expectations) ExpectDeletions(key string, objKeys []string) { e.Expect(key, 0, objKeys) }

// Expect records that key's controller is about to create adds objects
// and delete those of objKeys in one go (a DaemonSet's sync does both),
// replacing what it expected before.
func (e *Expectations) Expect(key string, adds int, objKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := &pending{adds: adds, dels: make(map[string]bool, len(objKeys)), at: e.now()}
	for _, k := range objKeys {
		p.dels[k] = true
	}
	e.m[key] = p
}

// Created records that one creation of key's was seen, or will not come
// (the request failed).
func (e *Expectations) Created(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.m[key]; p != nil {
		p.adds--
	}
}

// Deleted records that the deletion of the object objKey by key's
// controller was seen, or will not come.
func (e *Expectations) Deleted(key, objKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.m[key]; p != nil {
		delete(p.dels, objKey)
	}
}

// Satisfied reports whether key's controller has seen all it expected, or
// expects nothing, or has waited Timeout.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.m[key]
	return p == nil || (p.adds <= 0 && len(p.dels) == 0) || e.now().Sub(p.at) > Timeout
}

// Forget drops key's expectations (its object is gone).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
