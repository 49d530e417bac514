package garbagecollector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/util/retry"
)

// restMappingError says an apiVersion and kind map to no served resource:
// a type not discovered yet, or one that does not exist.
type restMappingError struct {
	kind, version string
}

func (e *restMappingError) Error() string {
	return fmt.Sprintf("unable to get REST mapping for %s/%s", e.version, e.kind)
}

// apiResource maps apiVersion and kind to the resource and its scope.
func (gc *Controller) apiResource(apiVersion, kind string) (schema.GroupVersionResource, bool, error) {
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	mapping, err := gc.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return schema.GroupVersionResource{}, false, &restMappingError{kind: kind, version: apiVersion}
	}
	return mapping.Resource, mapping.Scope == meta.RESTScopeNamespace, nil
}

// resourceClient is the metadata client for item's resource and namespace.
func (gc *Controller) resourceClient(item objectReference) (metadata.ResourceInterface, error) {
	gvr, namespaced, err := gc.apiResource(item.APIVersion, item.Kind)
	if err != nil {
		return nil, err
	}
	if !namespaced {
		return gc.meta.Resource(gvr), nil
	}
	return gc.meta.Resource(gvr).Namespace(item.Namespace), nil
}

// getObject reads item's metadata from the API server.
func (gc *Controller) getObject(ctx context.Context, item objectReference) (*metav1.PartialObjectMetadata, error) {
	client, err := gc.resourceClient(item)
	if err != nil {
		return nil, err
	}
	return client.Get(ctx, item.Name, metav1.GetOptions{})
}

// deleteObject deletes item if it still has item's uid and, if
// resourceVersion is set, that version. When only the version changed and
// the ownerReferences are still owners, it deletes without the version
// precondition, so that frequent unrelated updates cannot starve
// collection.
func (gc *Controller) deleteObject(ctx context.Context, item objectReference, resourceVersion string, owners []metav1.OwnerReference, policy metav1.DeletionPropagation) error {
	client, err := gc.resourceClient(item)
	if err != nil {
		return err
	}
	uid := item.UID
	pre := &metav1.Preconditions{UID: &uid}
	if resourceVersion != "" {
		pre.ResourceVersion = &resourceVersion
	}
	opts := metav1.DeleteOptions{Preconditions: pre, PropagationPolicy: &policy}
	err = client.Delete(ctx, item.Name, opts)
	if !apierrors.IsConflict(err) || resourceVersion == "" {
		return err
	}
	live, getErr := client.Get(ctx, item.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(getErr) {
		return getErr
	}
	if getErr == nil && live.UID == item.UID && live.ResourceVersion != resourceVersion && reflect.DeepEqual(live.OwnerReferences, owners) {
		pre.ResourceVersion = nil
		return client.Delete(ctx, item.Name, opts)
	}
	return err
}

// patchObject patches item's metadata.
func (gc *Controller) patchObject(ctx context.Context, item objectReference, pt types.PatchType, patch []byte) (*metav1.PartialObjectMetadata, error) {
	client, err := gc.resourceClient(item)
	if err != nil {
		return nil, err
	}
	return client.Patch(ctx, item.Name, pt, patch, metav1.PatchOptions{})
}

// patch applies a strategic merge patch to item and, for resources that do
// not support those (custom resources), the JSON merge patch jmp makes.
func (gc *Controller) patch(ctx context.Context, item *node, smp []byte, jmp func(context.Context, *node) ([]byte, error)) error {
	_, err := gc.patchObject(ctx, item.identity, types.StrategicMergePatchType, smp)
	if !apierrors.IsUnsupportedMediaType(err) {
		return err
	}
	patch, err := jmp(ctx, item)
	if err != nil {
		return err
	}
	_, err = gc.patchObject(ctx, item.identity, types.MergePatchType, patch)
	return err
}

// errFinalizeRetries is returned when removing a finalizer kept
// conflicting with other writers.
var errFinalizeRetries = errors.New("too many conflicts")

// removeFinalizer removes finalizer from owner with a JSON merge patch
// guarded by the resourceVersion it read, retrying on conflicts. A gone
// owner or a finalizer already removed is success.
func (gc *Controller) removeFinalizer(ctx context.Context, owner *node, finalizer string) error {
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		obj, err := gc.getObject(ctx, owner.identity)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot finalize owner %s, because cannot get it: %w. The garbage collector will retry later", owner.identity, err)
		}
		if obj.UID != owner.identity.UID {
			return nil
		}
		var kept []string
		found := false
		for _, f := range obj.Finalizers {
			if f == finalizer {
				found = true
				continue
			}
			kept = append(kept, f)
		}
		if !found {
			return nil
		}
		patch, err := finalizersPatch(obj.ResourceVersion, kept)
		if err != nil {
			return err
		}
		_, err = gc.patchObject(ctx, owner.identity, types.MergePatchType, patch)
		return err
	})
	if apierrors.IsConflict(err) {
		return fmt.Errorf("remove finalizer %s from %s: %w after %d tries; the garbage collector will retry later", finalizer, owner.identity, errFinalizeRetries, retry.DefaultBackoff.Steps)
	}
	return err
}

// finalizersPatch is a JSON merge patch, conditional on resourceVersion,
// that sets the finalizers to exactly finalizers.
func finalizersPatch(resourceVersion string, finalizers []string) ([]byte, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": resourceVersion,
		"finalizers":      finalizers,
	}})
}

// ownerReferencesPatch is a JSON merge patch, conditional on
// resourceVersion, that sets the ownerReferences to exactly refs.
func ownerReferencesPatch(resourceVersion string, refs []metav1.OwnerReference) ([]byte, error) {
	if refs == nil {
		refs = []metav1.OwnerReference{}
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": resourceVersion,
		"ownerReferences": refs,
	}})
}

// deleteOwnerRefStrategicMergePatch removes the ownerReferences to
// ownerUIDs from the object with uid dependentUID: ownerReferences merge by
// uid, and the object's uid in the patch is a precondition.
func deleteOwnerRefStrategicMergePatch(dependentUID types.UID, ownerUIDs ...types.UID) ([]byte, error) {
	refs := make([]map[string]any, 0, len(ownerUIDs))
	for _, uid := range ownerUIDs {
		refs = append(refs, map[string]any{"$patch": "delete", "uid": uid})
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             dependentUID,
		"ownerReferences": refs,
	}})
}

// deleteOwnerRefJSONMergePatch is the JSON merge patch equivalent of
// deleteOwnerRefStrategicMergePatch, built from the live object.
func (gc *Controller) deleteOwnerRefJSONMergePatch(ctx context.Context, item *node, ownerUIDs ...types.UID) ([]byte, error) {
	obj, err := gc.getObject(ctx, item.identity)
	if err != nil {
		return nil, err
	}
	var kept []metav1.OwnerReference
	for _, ref := range obj.OwnerReferences {
		drop := false
		for _, uid := range ownerUIDs {
			if ref.UID == uid {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, ref)
		}
	}
	return ownerReferencesPatch(obj.ResourceVersion, kept)
}

// unblockOwnerReferencesStrategicMergePatch sets blockOwnerDeletion to
// false on every blocking ownerReference of n.
func unblockOwnerReferencesStrategicMergePatch(n *node) ([]byte, error) {
	var refs []metav1.OwnerReference
	for _, ref := range n.getOwners() {
		if blocks(ref) {
			ref.BlockOwnerDeletion = new(false)
			refs = append(refs, ref)
		}
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             n.identity.UID,
		"ownerReferences": refs,
	}})
}

// unblockOwnerReferencesJSONMergePatch is the JSON merge patch equivalent
// of unblockOwnerReferencesStrategicMergePatch, built from the live object.
func (gc *Controller) unblockOwnerReferencesJSONMergePatch(ctx context.Context, n *node) ([]byte, error) {
	obj, err := gc.getObject(ctx, n.identity)
	if err != nil {
		return nil, err
	}
	refs := make([]metav1.OwnerReference, 0, len(obj.OwnerReferences))
	for _, ref := range obj.OwnerReferences {
		ref.BlockOwnerDeletion = new(false)
		refs = append(refs, ref)
	}
	return ownerReferencesPatch(obj.ResourceVersion, refs)
}
