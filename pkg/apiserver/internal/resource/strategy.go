package resource

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// strategy is the create, update and delete strategy a Definition implies.
type strategy struct {
	def   Definition
	typer runtime.ObjectTyper
}

var (
	_ rest.RESTCreateStrategy  = (*strategy)(nil)
	_ rest.RESTUpdateStrategy  = (*strategy)(nil)
	_ rest.RESTDeleteStrategy  = (*strategy)(nil)
	_ rest.ResetFieldsStrategy = (*strategy)(nil)
)

func (s *strategy) ObjectKinds(obj runtime.Object) ([]schema.GroupVersionKind, bool, error) {
	return s.typer.ObjectKinds(obj)
}
func (s *strategy) Recognizes(gvk schema.GroupVersionKind) bool { return s.typer.Recognizes(gvk) }
func (s *strategy) GenerateName(base string) string {
	return names.SimpleNameGenerator.GenerateName(base)
}
func (s *strategy) NamespaceScoped() bool                         { return s.def.Namespaced }
func (s *strategy) AllowCreateOnUpdate(context.Context) bool      { return s.def.CreateOnUpdate }
func (s *strategy) AllowUnconditionalUpdate(context.Context) bool { return true }
func (s *strategy) Canonicalize(runtime.Object)                   {}

func (s *strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	if s.def.Status != nil && s.def.Status.ResetStatus != nil {
		s.def.Status.ResetStatus(obj)
	}
	if s.def.Spec != nil {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetGeneration(1)
		}
	}
	if s.def.PrepareForCreate != nil {
		s.def.PrepareForCreate(ctx, obj)
	}
}

func (s *strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	if s.def.Status != nil {
		s.def.Status.CopyStatus(obj, old)
	}
	if s.def.Spec != nil {
		countSpecChange(obj, old, s.def.Spec)
	}
	if s.def.PrepareForUpdate != nil {
		s.def.PrepareForUpdate(ctx, obj, old)
	}
}

// countSpecChange sets obj's generation to old's, plus one if what spec
// returns differs: clients cannot set it.
func countSpecChange(obj, old runtime.Object, spec func(runtime.Object) any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	o, err := meta.Accessor(old)
	if err != nil {
		return
	}
	m.SetGeneration(o.GetGeneration())
	if !apiequality.Semantic.DeepEqual(spec(obj), spec(old)) {
		m.SetGeneration(o.GetGeneration() + 1)
	}
}

func (s *strategy) nameFunc() validation.ValidateNameFunc {
	if s.def.NameFunc != nil {
		return s.def.NameFunc
	}
	return validation.NameIsDNSSubdomain
}

func (s *strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	objMeta, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	errs := validation.ValidateObjectMetaAccessor(objMeta, s.def.Namespaced, s.nameFunc(), field.NewPath("metadata"))
	if s.def.Validate != nil {
		errs = append(errs, s.def.Validate(ctx, obj)...)
	}
	return errs
}

func (s *strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := validateMetaUpdate(obj, old)
	switch {
	case s.def.ValidateUpdate != nil:
		errs = append(errs, s.def.ValidateUpdate(ctx, obj, old)...)
	case s.def.Validate != nil:
		errs = append(errs, s.def.Validate(ctx, obj)...)
	}
	return errs
}

func validateMetaUpdate(obj, old runtime.Object) field.ErrorList {
	newMeta, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	oldMeta, err := meta.Accessor(old)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	return validation.ValidateObjectMetaAccessorUpdate(newMeta, oldMeta, field.NewPath("metadata"))
}

func (s *strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (s *strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

func (s *strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	if s.def.Status == nil {
		return nil
	}
	return s.def.Status.ResetFields
}

// statusStrategy updates only the status: the stored spec wins.
type statusStrategy struct{ *strategy }

func (s *statusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	s.def.Status.CopySpec(obj, old)
}

func (s *statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	errs := validateMetaUpdate(obj, old)
	if v := s.def.Status.ValidateUpdate; v != nil {
		errs = append(errs, v(ctx, obj, old)...)
	}
	return errs
}

func (s *statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return s.def.Status.StatusResetFields
}

// gracefulStrategy lets deletes wait for whoever must confirm them (a pod's
// kubelet), for the grace period GracefulDelete decides.
type gracefulStrategy struct{ *strategy }

var _ rest.RESTGracefulDeleteStrategy = (*gracefulStrategy)(nil)

func (s *gracefulStrategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	return s.def.GracefulDelete(ctx, obj, options)
}
