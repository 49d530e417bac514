package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	apistorage "k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
)

// bindingREST is pods/binding: how a scheduler assigns a pod to a node.
type bindingREST struct{ pods *genericregistry.Store }

var (
	_ rest.NamedCreater                   = (*bindingREST)(nil)
	_ rest.SubresourceObjectMetaPreserver = (*bindingREST)(nil)
)

func (r *bindingREST) New() runtime.Object { return &corev1.Binding{} }
func (r *bindingREST) Destroy()            {}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate keeps the
// binding's metadata as sent, as kube-apiserver does for bindings.
func (r *bindingREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

func (r *bindingREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, err := namedBody[*corev1.Binding](obj, name, "Binding")
	if err != nil {
		return nil, err
	}
	if binding.Target.Kind != "" && binding.Target.Kind != "Node" {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), binding.Name,
			field.ErrorList{field.NotSupported(field.NewPath("target", "kind"), binding.Target.Kind, []string{"Node", "<empty>"})})
	}
	if binding.Target.Name == "" {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), binding.Name,
			field.ErrorList{field.Required(field.NewPath("target", "name"), "")})
	}
	if createValidation != nil {
		if err := createValidation(ctx, binding.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	err = r.assign(ctx, binding.Name, binding.UID, binding.Target.Name, options.DryRun)
	if err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201}, nil
}

// namedBody returns obj, the body of a create on a pod's subresource, as
// the subresource's type T, which kube-apiserver names kind in its errors:
// a body of another type, or one naming another pod than the URL, is a
// bad request. pods/binding and pods/eviction share these checks.
func namedBody[T interface {
	runtime.Object
	GetName() string
}](obj runtime.Object, name, kind string) (T, error) {
	body, ok := obj.(T)
	if !ok {
		return body, apierrors.NewBadRequest(fmt.Sprintf("not a %s object: %T", kind, obj))
	}
	if name != body.GetName() {
		return body, apierrors.NewBadRequest(fmt.Sprintf("name in URL does not match name in %s object", kind))
	}
	return body, nil
}

// assign sets the pod's node and its PodScheduled condition, refusing a pod
// that is already bound or being deleted.
func (r *bindingREST) assign(ctx context.Context, podName string, uid types.UID, node string, dryRun []string) error {
	var preconditions *apistorage.Preconditions
	if uid != "" {
		preconditions = apistorage.NewUIDPreconditions(string(uid))
	}
	key, err := r.pods.KeyFunc(ctx, podName)
	if err != nil {
		return err
	}
	out := &corev1.Pod{}
	err = r.pods.Storage.GuaranteedUpdate(ctx, key, out, false, preconditions, apistorage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
		pod := obj.(*corev1.Pod)
		if pod.DeletionTimestamp != nil {
			return nil, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name)
		}
		if pod.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), pod.Name,
				fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = node
		setCondition(&pod.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()})
		return pod, nil
	}), dryRun != nil, nil)
	return storeerr.InterpretUpdateError(err, corev1.Resource("pods"), podName)
}

// setCondition replaces the condition of c's type, or appends it.
func setCondition(status *corev1.PodStatus, c corev1.PodCondition) {
	for i := range status.Conditions {
		if status.Conditions[i].Type == c.Type {
			status.Conditions[i] = c
			return
		}
	}
	status.Conditions = append(status.Conditions, c)
}

// bindingsREST is the legacy top-level bindings resource: the same binding,
// named by the object instead of the URL.
type bindingsREST struct{ bindingREST }

var (
	_ rest.Creater              = (*bindingsREST)(nil)
	_ rest.Scoper               = (*bindingsREST)(nil)
	_ rest.SingularNameProvider = (*bindingsREST)(nil)
)

func (r *bindingsREST) NamespaceScoped() bool   { return true }
func (r *bindingsREST) GetSingularName() string { return "binding" }
func (r *bindingsREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding object: %T", obj))
	}
	return r.bindingREST.Create(ctx, binding.Name, obj, createValidation, options)
}
