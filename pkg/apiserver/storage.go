package apiserver

import (
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
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
// DB, encoding objects as kube-apiserver does: protobuf of the served version.
type restOptions struct {
	db     *storage.DB
	scheme *runtime.Scheme
	codecs serializer.CodecFactory
}

var _ generic.RESTOptionsGetter = restOptions{}

func (o restOptions) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	gv, err := o.storageVersion(resource)
	if err != nil {
		return generic.RESTOptions{}, err
	}
	codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  runtime.ContentTypeProtobuf,
		StorageSerializer: o.codecs,
		StorageVersion:    gv,
		MemoryVersion:     schema.GroupVersion{Group: resource.Group, Version: runtime.APIVersionInternal},
	})
	if err != nil {
		return generic.RESTOptions{}, fmt.Errorf("storage codec for %s: %w", resource, err)
	}
	config := &storagebackend.ConfigForResource{
		Config:        storagebackend.Config{Prefix: storagePrefix, Codec: codec},
		GroupResource: resource,
	}
	return generic.RESTOptions{
		StorageConfig:           config,
		Decorator:               o.decorate,
		EnableGarbageCollection: true,
		DeleteCollectionWorkers: 1,
		ResourcePrefix:          resourcePrefix(resource),
	}, nil
}

// storageVersion is the version objects are stored in: the group's served
// version, except that events.k8s.io events are stored as core/v1 Events,
// so both event APIs share one set of objects as in kube-apiserver.
func (o restOptions) storageVersion(resource schema.GroupResource) (schema.GroupVersion, error) {
	if resource == eventsv1.Resource("events") {
		return corev1.SchemeGroupVersion, nil
	}
	versions := o.scheme.PrioritizedVersionsForGroup(resource.Group)
	if len(versions) == 0 {
		return schema.GroupVersion{}, fmt.Errorf("no served version for %s", resource)
	}
	return versions[0], nil
}

// resourcePrefix follows kube-apiserver's etcd layout: /registry/pods,
// /registry/endpointslices, …, without the group.
func resourcePrefix(resource schema.GroupResource) string {
	return path.Join("/", resource.Resource)
}

// decorate is the generic.StorageDecorator: a Store on the shared DB, with
// no watch cache (the upstream Cacher assumes etcd).
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
	return store, func() {}, nil
}
