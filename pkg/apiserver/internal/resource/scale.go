package resource

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Scale says where a resource keeps what its scale subresource shows: the
// replicas its spec asks for, those its status counts, and the selector of
// its pods, which autoscalers and kubectl scale read.
type Scale struct {
	get func(obj runtime.Object) (spec, status int32, selector *metav1.LabelSelector)
	set func(obj runtime.Object, replicas int32)
}

// NewScale builds the Scale of objects of type T from where they keep
// spec.replicas (a pointer field, defaulted), status.replicas and
// spec.selector.
func NewScale[T runtime.Object](replicas func(T) **int32, status func(T) int32, selector func(T) *metav1.LabelSelector) *Scale {
	return &Scale{
		get: func(obj runtime.Object) (int32, int32, *metav1.LabelSelector) {
			t := obj.(T)
			var spec int32
			if p := *replicas(t); p != nil {
				spec = *p
			}
			return spec, status(t), selector(t)
		},
		set: func(obj runtime.Object, n int32) { *replicas(obj.(T)) = &n },
	}
}

// ScaleREST serves a resource's scale subresource as an autoscaling/v1
// Scale, reading and writing the parent object: an update changes only the
// parent's spec.replicas, with the scale's resourceVersion as precondition,
// and server-side apply's managers of the scale's spec.replicas are kept
// as the parent's managers of its spec.replicas.
type ScaleREST struct {
	store    *genericregistry.Store
	scale    *Scale
	resource schema.GroupResource
	// replicasPath maps the parent's version to where its replicas are,
	// for the managed fields of the scale.
	replicasPath managedfields.ResourcePathMappings
	gv           schema.GroupVersion
}

var (
	_ rest.Patcher                  = (*ScaleREST)(nil)
	_ rest.GroupVersionKindProvider = (*ScaleREST)(nil)
)

func newScaleREST(store *genericregistry.Store, d Definition) *ScaleREST {
	gv := d.Resource.GroupVersion()
	return &ScaleREST{
		store:        store,
		scale:        d.Scale,
		resource:     schema.GroupResource{Group: gv.Group, Resource: d.Resource.Resource + "/scale"},
		replicasPath: managedfields.ResourcePathMappings{gv.String(): fieldpath.MakePathOrDie("spec", "replicas")},
		gv:           gv,
	}
}

func (r *ScaleREST) New() runtime.Object { return &autoscalingv1.Scale{} }
func (r *ScaleREST) Destroy()            {}

// GroupVersionKind is autoscaling/v1 Scale in every group that serves one.
func (r *ScaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

func (r *ScaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return r.toScale(obj)
}

// Update never creates the parent. Admission sees Scales, as upstream's do.
func (r *ScaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := r.store.Update(ctx, name, &scaleUpdate{rest: r, name: name, inner: objInfo},
		r.scaledCreate(createValidation), r.scaledUpdate(updateValidation), false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := r.toScale(obj)
	return scale, false, err
}

func (r *ScaleREST) scaledCreate(validate rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	if validate == nil {
		return nil
	}
	return func(ctx context.Context, obj runtime.Object) error {
		scale, err := r.toScale(obj)
		if err != nil {
			return err
		}
		return validate(ctx, scale)
	}
}

func (r *ScaleREST) scaledUpdate(validate rest.ValidateObjectUpdateFunc) rest.ValidateObjectUpdateFunc {
	if validate == nil {
		return nil
	}
	return func(ctx context.Context, obj, old runtime.Object) error {
		scale, err := r.toScale(obj)
		if err != nil {
			return err
		}
		oldScale, err := r.toScale(old)
		if err != nil {
			return err
		}
		return validate(ctx, scale, oldScale)
	}
}

// toScale is the Scale of a parent object.
func (r *ScaleREST) toScale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, err
	}
	spec, status, sel := r.scale.get(obj)
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("%s %q: invalid selector: %w", r.resource, m.Name, err))
	}
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Name, Namespace: m.Namespace, UID: m.UID,
			ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector.String()},
	}, nil
}

// scaleUpdate turns an update of the scale into one of its parent.
type scaleUpdate struct {
	rest  *ScaleREST
	name  string
	inner rest.UpdatedObjectInfo
}

func (u *scaleUpdate) Preconditions() *metav1.Preconditions { return u.inner.Preconditions() }

func (u *scaleUpdate) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	r := u.rest
	parent := oldObj.DeepCopyObject()
	m, err := metaOf(parent)
	if err != nil {
		return nil, err
	}
	if m.ResourceVersion == "" {
		return nil, apierrors.NewNotFound(r.resource, u.name)
	}
	handler := managedfields.NewScaleHandler(m.ManagedFields, r.gv, r.replicasPath)
	oldScale, err := r.toScale(parent)
	if err != nil {
		return nil, err
	}
	if oldScale.ManagedFields, err = handler.ToSubresource(); err != nil {
		return nil, err
	}
	newObj, err := u.inner.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	scale, ok := newObj.(*autoscalingv1.Scale)
	if !ok || scale == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", newObj))
	}
	if errs := validateScale(scale); len(errs) > 0 {
		return nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), scale.Name, errs)
	}
	if scale.UID != "" && scale.UID != m.UID {
		return nil, apierrors.NewConflict(r.resource, m.Name,
			//lint:ignore ST1005 upstream's text, which clients match
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", scale.UID, m.UID))
	}
	r.scale.set(parent, scale.Spec.Replicas)
	m.ResourceVersion = scale.ResourceVersion
	if m.ManagedFields, err = handler.ToParent(scale.ManagedFields); err != nil {
		return nil, err
	}
	return parent, nil
}

// validateScale is ValidateScale: the scale's metadata, and replicas that
// are not negative.
func validateScale(scale *autoscalingv1.Scale) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(&scale.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if scale.Spec.Replicas < 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, apivalidation.IsNegativeErrorMsg))
	}
	return errs
}

// metaOf is the ObjectMeta of one of the typed objects the registries
// store.
func metaOf(obj runtime.Object) (*metav1.ObjectMeta, error) {
	o, ok := obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("%T has no object metadata", obj))
	}
	return o.GetObjectMeta().(*metav1.ObjectMeta), nil
}
