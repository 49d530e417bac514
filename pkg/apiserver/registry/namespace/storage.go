package namespace

//lint:file-ignore SA1019 DeleteOptions.OrphanDependents is deprecated, but kube-apiserver still honours it.

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	apistorage "k8s.io/apiserver/pkg/storage"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// NewStorage returns the storage of namespaces, namespaces/status and
// namespaces/finalize.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	s, err := resource.NewStorage(definition(), opts)
	if err != nil {
		return nil, err
	}
	store := s.REST.Store
	s.Extra = map[string]rest.Storage{
		// The only way to change spec.finalizers.
		"namespaces/finalize": resource.NewUpdateREST(store, finalizeStrategy{store.UpdateStrategy}),
	}
	return s, nil
}

// deleteNamespace is kube-apiserver's two-step namespace deletion. The first
// delete only marks the namespace Terminating; the namespace controller then
// empties it and clears spec.finalizers through /finalize, and a delete
// after that removes it.
func deleteNamespace(ctx context.Context, store *genericregistry.Store, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if options.Preconditions == nil {
		options.Preconditions = &metav1.Preconditions{}
	}
	if options.Preconditions.UID == nil {
		options.Preconditions.UID = &ns.UID
	} else if *options.Preconditions.UID != ns.UID {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			//lint:ignore ST1005 kube-apiserver's own text.
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *options.Preconditions.UID, ns.UID))
	}
	if rv := options.Preconditions.ResourceVersion; rv != nil && *rv != ns.ResourceVersion {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			//lint:ignore ST1005 kube-apiserver's own text.
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *rv, ns.ResourceVersion))
	}
	if ns.DeletionTimestamp.IsZero() {
		if validate != nil {
			if err := validate(ctx, ns); err != nil {
				return nil, false, err
			}
		}
		key, err := store.KeyFunc(ctx, name)
		if err != nil {
			return nil, false, err
		}
		out := &corev1.Namespace{}
		preconditions := &apistorage.Preconditions{UID: options.Preconditions.UID, ResourceVersion: options.Preconditions.ResourceVersion}
		err = store.Storage.GuaranteedUpdate(ctx, key, out, false, preconditions, apistorage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
			ns := existing.(*corev1.Namespace)
			if ns.DeletionTimestamp.IsZero() {
				now := metav1.Now()
				ns.DeletionTimestamp = &now
			}
			ns.Status.Phase = corev1.NamespaceTerminating
			ns.Finalizers = gcFinalizers(ns.Finalizers, options)
			return ns, nil
		}), len(options.DryRun) > 0, nil)
		if err != nil {
			return nil, false, err
		}
		return out, false, nil
	}
	// Until the namespace controller has finalized it, deleting again is a
	// no-op that reports the namespace as it is.
	if len(ns.Spec.Finalizers) != 0 {
		return ns, false, nil
	}
	return store.Delete(ctx, name, validate, options)
}

// gcFinalizers returns finalizers with the garbage collector's orphan and
// foregroundDeletion finalizers added or removed as the delete options ask,
// as kube-apiserver does for namespaces (without options, as they were), so
// that the garbage collector orphans or deletes the namespace's dependents
// before it goes.
func gcFinalizers(finalizers []string, options *metav1.DeleteOptions) []string {
	orphan := slices.Contains(finalizers, metav1.FinalizerOrphanDependents)
	foreground := slices.Contains(finalizers, metav1.FinalizerDeleteDependents)
	switch {
	case options.OrphanDependents != nil:
		orphan, foreground = *options.OrphanDependents, !*options.OrphanDependents
	case options.PropagationPolicy != nil:
		orphan = *options.PropagationPolicy == metav1.DeletePropagationOrphan
		foreground = *options.PropagationPolicy == metav1.DeletePropagationForeground
	}
	out := slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool {
		return f == metav1.FinalizerOrphanDependents || f == metav1.FinalizerDeleteDependents
	})
	if orphan {
		out = append(out, metav1.FinalizerOrphanDependents)
	}
	if foreground {
		out = append(out, metav1.FinalizerDeleteDependents)
	}
	return out
}
