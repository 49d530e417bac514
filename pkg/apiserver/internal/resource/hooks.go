package resource

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// The generic store calls a Begin hook's FinishFunc with success before it
// has written anything on the update path (inside GuaranteedUpdate's try
// function), and runs the hook again when the compare-and-swap loses. For
// hooks that take resources, that would keep what a lost attempt took, and a
// retried attempt would find its own requested IP or port already taken. So
// REST.Create and REST.Update put a pending list in the request context: a
// successful attempt's FinishFunc waits there, a new attempt first fails the
// one before it, and the request's outcome finishes the last one.

type pendingKey struct{}

// pending holds the FinishFunc of the request's latest attempt that the
// store reported as successful.
type pending struct {
	mu   sync.Mutex
	last genericregistry.FinishFunc
}

// begin fails the attempt before a new one starts.
func (p *pending) begin(ctx context.Context) {
	p.mu.Lock()
	last := p.last
	p.last = nil
	p.mu.Unlock()
	if last != nil {
		last(ctx, false)
	}
}

// finish reports the request's outcome to the last successful attempt.
func (p *pending) finish(ctx context.Context, success bool) {
	p.mu.Lock()
	last := p.last
	p.last = nil
	p.mu.Unlock()
	if last != nil {
		last(ctx, success)
	}
}

// wrap returns the FinishFunc the store gets for fn: failures go through,
// success waits for the request's outcome. Without a pending list (a caller
// that went to the store directly) fn is called as the store calls it.
func wrap(ctx context.Context, fn genericregistry.FinishFunc) genericregistry.FinishFunc {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	if p == nil {
		return fn
	}
	return func(ctx context.Context, success bool) {
		if !success {
			fn(ctx, false)
			return
		}
		p.mu.Lock()
		p.last = fn
		p.mu.Unlock()
	}
}

func deferredBeginCreate(hook genericregistry.BeginCreateFunc) genericregistry.BeginCreateFunc {
	return func(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
		if p, _ := ctx.Value(pendingKey{}).(*pending); p != nil {
			p.begin(ctx)
		}
		fn, err := hook(ctx, obj, options)
		if err != nil {
			return nil, err
		}
		return wrap(ctx, fn), nil
	}
}

func deferredBeginUpdate(hook genericregistry.BeginUpdateFunc) genericregistry.BeginUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
		if p, _ := ctx.Value(pendingKey{}).(*pending); p != nil {
			p.begin(ctx)
		}
		fn, err := hook(ctx, obj, old, options)
		if err != nil {
			return nil, err
		}
		return wrap(ctx, fn), nil
	}
}

// Create is the store's Create, finishing the BeginCreate hook on the
// request's outcome.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if r.Store.BeginCreate == nil {
		return r.Store.Create(ctx, obj, createValidation, options)
	}
	p := &pending{}
	out, err := r.Store.Create(context.WithValue(ctx, pendingKey{}, p), obj, createValidation, options)
	p.finish(ctx, err == nil)
	return out, err
}

// Update is the store's Update (PUT, every patch type and server-side
// apply), finishing the BeginUpdate or BeginCreate hook on the request's
// outcome.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if r.Store.BeginCreate == nil && r.Store.BeginUpdate == nil {
		return r.Store.Update(ctx, name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	}
	p := &pending{}
	out, created, err := r.Store.Update(context.WithValue(ctx, pendingKey{}, p), name, objInfo, createValidation, updateValidation, forceAllowCreate, options)
	p.finish(ctx, err == nil)
	return out, created, err
}
