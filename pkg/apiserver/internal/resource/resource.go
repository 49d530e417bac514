package resource

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	apistorage "k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// Definition describes one resource the way kube-apiserver serves it.
type Definition struct {
	// Resource is the plural resource in the version it is served at, e.g.
	// corev1.SchemeGroupVersion.WithResource("pods").
	Resource schema.GroupVersionResource
	// Singular is the singular name shown in discovery, e.g. "pod"; New
	// and NewList make an empty object and list. Define sets all three
	// from the resource's Go types.
	Singular string
	New      func() runtime.Object
	NewList  func() runtime.Object
	// Namespaced is true for namespace-scoped resources.
	Namespaced bool
	// ShortNames and Categories appear in discovery (kubectl get po, all).
	ShortNames []string
	Categories []string
	// CreateOnUpdate lets PUT create a missing object (events, endpoints, leases).
	CreateOnUpdate bool
	// Status, if set, splits spec and status: the main resource keeps the
	// stored status, the status subresource keeps the stored spec.
	Status *StatusSplit
	// Scale, if set, serves the scale subresource (autoscaling/v1 Scale)
	// over the object's replica counts.
	Scale *Scale
	// Spec, if set, returns what metadata.generation counts the changes of
	// (usually the spec): a new object's generation is 1, and an update
	// that changes Spec's result adds one, as the workload registries'
	// PrepareForUpdate do, so that controllers can report
	// status.observedGeneration.
	Spec func(obj runtime.Object) any
	// PrepareForCreate and PrepareForUpdate clear or set server-owned fields
	// before validation, as the registries' strategies of the same name do.
	PrepareForCreate func(ctx context.Context, obj runtime.Object)
	PrepareForUpdate func(ctx context.Context, obj, old runtime.Object)
	// Validate and ValidateUpdate return the resource's field errors; object
	// metadata is validated here, with NameFunc (DNS subdomain if nil).
	Validate       func(ctx context.Context, obj runtime.Object) field.ErrorList
	ValidateUpdate func(ctx context.Context, obj, old runtime.Object) field.ErrorList
	NameFunc       func(name string, prefix bool) []string
	// Fields returns the fields a field selector can match besides
	// metadata.name and metadata.namespace; FieldLabels names them, for the
	// scheme to accept in a request's field selector.
	Fields      func(obj runtime.Object) fields.Set
	FieldLabels []string
	// Defaults, if set, defaults an object of the resource's type whenever
	// one is decoded (from a request or from storage), as kube-apiserver's
	// scheme does, so that patches, server-side apply and reads all see
	// defaulted objects.
	Defaults func(obj runtime.Object)
	// Conversions, if set, adds the conversions the resource needs to the
	// API server's scheme (events.k8s.io Events are stored as core/v1
	// ones).
	Conversions func(scheme *runtime.Scheme) error
	// Table builds the kubectl get table (table.go in the registry folder)
	// on the cluster's Options.Tables, so that a Definition is the same for
	// every cluster; nil means the apiserver's default NAME and CREATED AT.
	Table func(*tables.Convertors) tables.Convertor
	// GracefulDelete, if set, decides a delete's grace period as
	// RESTGracefulDeleteStrategy.CheckGracefulDelete does: it may set
	// options.GracePeriodSeconds and returns whether deletion is graceful.
	GracefulDelete func(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool
	// Delete, if set, replaces the store's Delete (namespaces finalize
	// before they go).
	Delete func(ctx context.Context, store *genericregistry.Store, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error)
	// NoDeleteCollection leaves out DELETE on the collection, as
	// kube-apiserver does for namespaces.
	NoDeleteCollection bool
	// KeepDuringUpdate, if set, keeps an object that the generic registry
	// would otherwise delete when an update leaves it with a deletion
	// timestamp and no finalizers (namespaces wait for spec.finalizers too).
	KeepDuringUpdate func(obj runtime.Object) bool

	// BeginCreate and BeginUpdate, if set, run before PrepareForCreate or
	// PrepareForUpdate and validation, like the generic store's hooks of the
	// same name: they may change the object and take resources for it
	// (Services' cluster IPs and node ports). The FinishFunc they return is
	// called once, with whether the object was stored: unlike the generic
	// store, which reports success before its compare-and-swap and runs the
	// hook again if that fails, a REST request reports only its final
	// outcome, and an attempt that is retried reports failure first.
	BeginCreate genericregistry.BeginCreateFunc
	BeginUpdate genericregistry.BeginUpdateFunc
	// AfterDelete, if set, runs after an object is deleted (not when a
	// deletion only starts, waiting for finalizers or a grace period),
	// also when a status update removes the last finalizer.
	AfterDelete genericregistry.AfterDeleteFunc
	// Decorator, if set, changes objects and lists on their way out of the
	// main resource (gets, lists, watches, and what writes return); the
	// status subresource returns them undecorated, as upstream's does.
	Decorator func(runtime.Object)
}

// Define returns d as the resource whose objects are T and whose lists are
// L: it sets New and NewList, so that a registry names each type once and
// its store cannot build the wrong one, and Singular, which is the kind in
// lower case for every resource kube-apiserver serves (its discovery falls
// back to the same rule for storage that names none).
func Define[T, L any, PT interface {
	*T
	runtime.Object
}, PL interface {
	*L
	runtime.Object
}](d Definition) Definition {
	d.New = func() runtime.Object { return PT(new(T)) }
	d.NewList = func() runtime.Object { return PL(new(L)) }
	d.Singular = strings.ToLower(reflect.TypeFor[T]().Name())
	return d
}

// StatusSplit says how to copy one half of an object onto the other.
type StatusSplit struct {
	// CopyStatus copies the status of from into to (main resource updates).
	CopyStatus func(to, from runtime.Object)
	// CopySpec copies everything but status and metadata of from into to
	// (status subresource updates).
	CopySpec func(to, from runtime.Object)
	// ResetStatus clears the status of a new object; nil keeps what the
	// client sent, as kube-apiserver does for nodes and pods' conditions.
	ResetStatus func(obj runtime.Object)
	// ValidateUpdate, if set, checks a status update beyond its metadata,
	// as registries' status strategies do (an admission policy's
	// type-checking warnings and conditions).
	ValidateUpdate func(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// ResetFields are the field sets server-side apply must not let each
	// half own, keyed by API version, as registries' GetResetFields return.
	ResetFields       map[fieldpath.APIVersion]*fieldpath.Set
	StatusResetFields map[fieldpath.APIVersion]*fieldpath.Set
}

// REST is the main resource's storage with its discovery names.
type REST struct {
	*genericregistry.Store
	shortNames, categories []string
	delete                 func(ctx context.Context, store *genericregistry.Store, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error)
}

// Delete uses the Definition's Delete when it has one.
func (r *REST) Delete(ctx context.Context, name string, validate rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	if r.delete != nil {
		return r.delete(ctx, r.Store, name, validate, options)
	}
	return r.Store.Delete(ctx, name, validate, options)
}

var (
	_ rest.ShortNamesProvider = (*REST)(nil)
	_ rest.CategoriesProvider = (*REST)(nil)
)

func (r *REST) ShortNames() []string { return r.shortNames }
func (r *REST) Categories() []string { return r.categories }

// StatusREST serves the status subresource.
type StatusREST struct{ store *genericregistry.Store }

var _ rest.Patcher = (*StatusREST)(nil)

func (r *StatusREST) New() runtime.Object { return r.store.New() }
func (r *StatusREST) Destroy()            {}
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Status updates never create the object.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

// restWithoutDeleteCollection is a REST whose DeleteCollection is hidden:
// the field shadows the promoted method, so the type does not implement
// rest.CollectionDeleter and the collection DELETE route is not installed.
type restWithoutDeleteCollection struct {
	*REST
	DeleteCollection struct{}
}

// Options are what every resource's storage is built with.
type Options struct {
	// RESTOptions gives each store its storage and codec.
	RESTOptions generic.RESTOptionsGetter
	// Typer tells the strategies the object kinds (the API server's scheme).
	Typer runtime.ObjectTyper
	// Tables is what each resource's kubectl get columns (table.go in its
	// registry folder) are built from: the clock their Age cells follow.
	Tables *tables.Convertors
}

// Storage is what a Definition installs: the resource and, with a status
// split, its status subresource, and any others its registry adds.
type Storage struct {
	REST   *REST
	Status *StatusREST
	Scale  *ScaleREST
	// Extra is the storage that the resource's registry adds over its
	// store, keyed as APIGroupInfo wants it: subresources beyond status
	// ("pods/binding") and related resources ("bindings").
	Extra map[string]rest.Storage

	def Definition
}

// GroupVersion is the API group version the resource is served in.
func (s *Storage) GroupVersion() schema.GroupVersion { return s.def.Resource.GroupVersion() }

// Map returns the storage keyed as APIGroupInfo wants it ("pods",
// "pods/status").
func (s *Storage) Map() map[string]rest.Storage {
	if s.REST == nil {
		return maps.Clone(s.Extra)
	}
	var main rest.Storage = s.REST
	if s.def.NoDeleteCollection {
		main = restWithoutDeleteCollection{REST: s.REST}
	}
	m := map[string]rest.Storage{s.REST.DefaultQualifiedResource.Resource: main}
	if s.Status != nil {
		m[s.REST.DefaultQualifiedResource.Resource+"/status"] = s.Status
	}
	if s.Scale != nil {
		m[s.REST.DefaultQualifiedResource.Resource+"/scale"] = s.Scale
	}
	for path, extra := range s.Extra {
		m[path] = extra
	}
	return m
}

// NewCreateOnly returns storage of resources that have no store: they are
// only created, answered and forgotten (the access and token reviews).
// storage is keyed as APIGroupInfo wants it, each served in gv.
func NewCreateOnly(gv schema.GroupVersion, storage map[string]rest.Storage) *Storage {
	return &Storage{Extra: storage, def: Definition{Resource: gv.WithResource("")}}
}

// NewStorage builds the generic registry store for d.
func NewStorage(d Definition, opts Options) (*Storage, error) {
	main := &strategy{def: d, typer: opts.Typer}
	store := &genericregistry.Store{
		NewFunc:                   d.New,
		NewListFunc:               d.NewList,
		DefaultQualifiedResource:  d.Resource.GroupResource(),
		SingularQualifiedResource: schema.GroupResource{Group: d.Resource.Group, Resource: d.Singular},
		PredicateFunc:             d.predicate,
		CreateStrategy:            main,
		UpdateStrategy:            main,
		DeleteStrategy:            main,
		ReturnDeletedObject:       d.GracefulDelete != nil,
		ResetFieldsStrategy:       main,
	}
	if d.Table != nil {
		store.TableConvertor = d.Table(opts.Tables)
	}
	if d.GracefulDelete != nil {
		store.DeleteStrategy = &gracefulStrategy{strategy: main}
	}
	if keep := d.KeepDuringUpdate; keep != nil {
		store.ShouldDeleteDuringUpdate = func(ctx context.Context, key string, obj, existing runtime.Object) bool {
			return !keep(obj) && genericregistry.ShouldDeleteDuringUpdate(ctx, key, obj, existing)
		}
	}
	if store.TableConvertor == nil {
		store.TableConvertor = rest.NewDefaultTableConvertor(d.Resource.GroupResource())
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: opts.RESTOptions, AttrFunc: d.attrs}); err != nil {
		return nil, fmt.Errorf("%s storage: %w", d.Resource.GroupResource(), err)
	}
	s := &Storage{REST: &REST{Store: store, shortNames: d.ShortNames, categories: d.Categories, delete: d.Delete}, def: d}
	if d.Status != nil {
		statusStore := *store
		status := &statusStrategy{strategy: main}
		statusStore.UpdateStrategy = status
		statusStore.ResetFieldsStrategy = status
		// A status write that removes the last finalizer of an object being
		// deleted deletes it (a LoadBalancer controller's cleanup
		// finalizer): what is released on delete is released then too.
		statusStore.AfterDelete = d.AfterDelete
		s.Status = &StatusREST{store: &statusStore}
	}
	if d.Scale != nil {
		s.Scale = newScaleREST(store, d)
	}
	// The create and update hooks are the main resource's only, as in
	// upstream's registries, so they are set after the status store copied
	// the rest.
	if d.BeginCreate != nil {
		store.BeginCreate = deferredBeginCreate(d.BeginCreate)
	}
	if d.BeginUpdate != nil {
		store.BeginUpdate = deferredBeginUpdate(d.BeginUpdate)
	}
	store.AfterDelete = d.AfterDelete
	store.Decorator = d.Decorator
	return s, nil
}

// attrs returns labels and fields for selectors: metadata.name,
// metadata.namespace (namespaced resources) and the resource's own fields.
func (d Definition) attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	fs := fields.Set{"metadata.name": m.GetName()}
	if d.Namespaced {
		fs["metadata.namespace"] = m.GetNamespace()
	}
	if d.Fields != nil {
		for k, v := range d.Fields(obj) {
			fs[k] = v
		}
	}
	return labels.Set(m.GetLabels()), fs, nil
}

func (d Definition) predicate(label labels.Selector, field fields.Selector) apistorage.SelectionPredicate {
	return apistorage.SelectionPredicate{Label: label, Field: field, GetAttrs: d.attrs}
}

// UpdateREST serves an update-only subresource (namespaces/finalize,
// pods/ephemeralcontainers) over a copy of the resource's store whose
// update strategy limits what the update may change.
type UpdateREST struct{ store *genericregistry.Store }

var _ rest.Patcher = (*UpdateREST)(nil)

// NewUpdateREST serves updates of store's objects through strategy.
func NewUpdateREST(store *genericregistry.Store, strategy rest.RESTUpdateStrategy) *UpdateREST {
	s := *store
	s.UpdateStrategy = strategy
	return &UpdateREST{store: &s}
}

func (r *UpdateREST) New() runtime.Object { return r.store.New() }
func (r *UpdateREST) Destroy()            {}
func (r *UpdateREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update never creates the object.
func (r *UpdateREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}
