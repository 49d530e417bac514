// Package ownership claims the objects a workload controller manages, as
// upstream's ControllerRefManager does: an object it controls stays its
// own while its labels match the selector and is released when they stop
// matching; an orphan that matches is adopted, unless the owner is being
// deleted. Adoption and release are strategic merge patches of the
// object's ownerReferences that name the object's UID, so that they fail
// on an object that was replaced meanwhile.
package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Patcher patches an object of the claimed kind by name (a typed client's
// Patch, with the context and options bound).
type Patcher func(ctx context.Context, name string, patch []byte) error

// Owner is the controller that claims, and how it reaches what it claims.
type Owner struct {
	Object metav1.Object
	Kind   schema.GroupVersionKind
	// Selector selects what the owner manages.
	Selector labels.Selector
	// Patch patches a claimed object.
	Patch Patcher
	// StillOwner, if set, is asked before the first adoption whether the
	// owner may still adopt (upstream re-reads it from the API server: an
	// owner deleted or replaced since the cache saw it must not adopt).
	StillOwner func(ctx context.Context) error
}

// Claim returns those of objs the owner controls after claiming: those
// it controlled and still selects, and the orphans it selects and could
// adopt. Objects it controlled and no longer selects are released. An
// object that is gone by the time it is patched is skipped; other errors
// are returned with the objects claimed so far.
func Claim[T metav1.Object](ctx context.Context, o Owner, objs []T) ([]T, error) {
	var claimed []T
	var errs []error
	checked := false
	for _, obj := range objs {
		ref := metav1.GetControllerOfNoCopy(obj)
		matches := o.Selector.Matches(labels.Set(obj.GetLabels()))
		switch {
		case ref != nil && ref.UID == o.Object.GetUID():
			if matches {
				claimed = append(claimed, obj)
				continue
			}
			if obj.GetDeletionTimestamp() != nil {
				continue
			}
			if err := o.release(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		case ref != nil || !matches || obj.GetDeletionTimestamp() != nil || o.Object.GetDeletionTimestamp() != nil:
			// Another controller's, not selected, or going away.
		default:
			if !checked && o.StillOwner != nil {
				if err := o.StillOwner(ctx); err != nil {
					return claimed, err
				}
				checked = true
			}
			err := o.adopt(ctx, obj)
			switch {
			case err == nil:
				claimed = append(claimed, obj)
			case !apierrors.IsNotFound(err):
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return claimed, fmt.Errorf("claim %s objects: %w", o.Kind.Kind, errors.Join(errs...))
	}
	return claimed, nil
}

// ControllerRef is the owner reference of an object the owner controls,
// with blockOwnerDeletion so that foreground deletion waits for it.
func ControllerRef(owner metav1.Object, kind schema.GroupVersionKind) metav1.OwnerReference {
	return *metav1.NewControllerRef(owner, kind)
}

type patchMeta struct {
	OwnerReferences []any     `json:"ownerReferences"`
	UID             types.UID `json:"uid"`
}

func (o Owner) adopt(ctx context.Context, obj metav1.Object) error {
	return o.patch(ctx, obj, ControllerRef(o.Object, o.Kind))
}

func (o Owner) release(ctx context.Context, obj metav1.Object) error {
	return o.patch(ctx, obj, map[string]any{"$patch": "delete", "uid": o.Object.GetUID()})
}

func (o Owner) patch(ctx context.Context, obj metav1.Object, ref any) error {
	patch, err := json.Marshal(map[string]patchMeta{"metadata": {OwnerReferences: []any{ref}, UID: obj.GetUID()}})
	if err != nil {
		return err
	}
	return o.Patch(ctx, obj.GetName(), patch)
}
