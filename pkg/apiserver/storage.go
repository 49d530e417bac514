package apiserver

import (
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	apistorage "k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"

	"github.com/fakecluster/fakecluster/pkg/storage"
)

// storagePrefix is where every object lives, as in kube-apiserver's etcd.
const storagePrefix = "/registry"

// restOptions hands each resource's generic registry a Store on the shared
// DB. Its codec says how objects are encoded; byGroup says whether keys
// name the group, as kube-apiserver's keys for apiextensions-apiserver's
// resources do (/registry/apiextensions.k8s.io/customresourcedefinitions,
// /registry/<group>/<plural>) and for its own built-ins do not
// (/registry/pods).
type restOptions struct {
	db      *storage.DB
	codec   func(schema.GroupResource) (runtime.Codec, error)
	byGroup bool
}

var _ generic.RESTOptionsGetter = restOptions{}

// builtinRESTOptions stores fakecluster's own resources as kube-apiserver
// does: protobuf of the served version, keyed without the group.
func builtinRESTOptions(db *storage.DB, scheme *runtime.Scheme, codecs serializer.CodecFactory) restOptions {
	return restOptions{db: db, codec: func(resource schema.GroupResource) (runtime.Codec, error) {
		gv, err := storageVersion(scheme, resource)
		if err != nil {
			return nil, err
		}
		return storageCodec(codecs, runtime.ContentTypeProtobuf, gv, resource.Group)
	}}
}

// crdRESTOptions stores CustomResourceDefinitions as JSON of
// apiextensions.k8s.io/v1. (kube-apiserver writes v1beta1, which is smaller
// in etcd; both decode, and bbolt has no etcd's value size limit.)
func crdRESTOptions(db *storage.DB) restOptions {
	return restOptions{db: db, byGroup: true, codec: func(schema.GroupResource) (runtime.Codec, error) {
		return storageCodec(apiextensionsapiserver.Codecs, runtime.ContentTypeJSON, apiextensionsv1.SchemeGroupVersion, apiextensionsv1.GroupName)
	}}
}

// customResourceRESTOptions stores custom resources as JSON: the CRD server
// wraps this codec in its own, which converts to the storage version and
// prunes and defaults by the CRD's schema.
func customResourceRESTOptions(db *storage.DB) restOptions {
	return restOptions{db: db, byGroup: true, codec: func(schema.GroupResource) (runtime.Codec, error) {
		return unstructured.UnstructuredJSONScheme, nil
	}}
}

func (o restOptions) GetRESTOptions(resource schema.GroupResource, _ runtime.Object) (generic.RESTOptions, error) {
	codec, err := o.codec(resource)
	if err != nil {
		return generic.RESTOptions{}, fmt.Errorf("storage codec for %s: %w", resource, err)
	}
	config := &storagebackend.ConfigForResource{
		Config:        storagebackend.Config{Prefix: storagePrefix, Codec: codec},
		GroupResource: resource,
	}
	prefix := path.Join("/", resource.Resource)
	if o.byGroup {
		prefix = path.Join("/", resource.Group, resource.Resource)
	}
	return generic.RESTOptions{
		StorageConfig:           config,
		Decorator:               o.decorate,
		EnableGarbageCollection: true,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          prefix,
	}, nil
}

// storageCodec encodes objects of group's internal version as gv in
// mediaType; gv's group differs for events.k8s.io Events.
func storageCodec(codecs serializer.CodecFactory, mediaType string, gv schema.GroupVersion, group string) (runtime.Codec, error) {
	codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: codecs,
		StorageVersion:    gv,
		MemoryVersion:     schema.GroupVersion{Group: group, Version: runtime.APIVersionInternal},
	})
	return codec, err
}

// storageVersion is the version objects are stored in: the group's served
// version, except that events.k8s.io events are stored as core/v1 Events,
// so both event APIs share one set of objects as in kube-apiserver.
func storageVersion(scheme *runtime.Scheme, resource schema.GroupResource) (schema.GroupVersion, error) {
	if resource == eventsv1.Resource("events") {
		return corev1.SchemeGroupVersion, nil
	}
	versions := scheme.PrioritizedVersionsForGroup(resource.Group)
	if len(versions) == 0 {
		return schema.GroupVersion{}, fmt.Errorf("no served version for %s", resource)
	}
	return versions[0], nil
}

// decorate is the generic.StorageDecorator: a Store on the shared DB, with
// no watch cache (the upstream Cacher assumes etcd). Destroying it ends its
// watches; the DB stays open for the other Stores.
func (o restOptions) decorate(config *storagebackend.ConfigForResource, resourcePrefix string, _ func(runtime.Object) (string, error),
	newFunc, newListFunc func() runtime.Object, _ apistorage.AttrFunc, _ apistorage.IndexerFuncs, _ *cache.Indexers) (apistorage.Interface, factory.DestroyFunc, error) {
	store, err := o.db.NewStore(storage.Config{
		Codec:          config.Codec,
		NewFunc:        newFunc,
		NewListFunc:    newListFunc,
		Prefix:         config.Prefix,
		ResourcePrefix: resourcePrefix,
		GroupResource:  config.GroupResource,
		Transformer:    config.Transformer,
	})
	if err != nil {
		return nil, nil, err
	}
	return store, store.Close, nil
}
