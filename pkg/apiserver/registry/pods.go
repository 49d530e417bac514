package registry

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	apistorage "k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/kubectl/pkg/util/qos"
	"k8s.io/utils/ptr"
)

// podGracefulDelete decides a pod's grace period as kube-apiserver does: the
// request's, else the pod's terminationGracePeriodSeconds; zero (delete at
// once) when no kubelet has the pod — it is unscheduled or has finished.
func podGracefulDelete(_ context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	pod := obj.(*corev1.Pod)
	period := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if options.GracePeriodSeconds != nil {
		period = *options.GracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		period = 0
	}
	options.GracePeriodSeconds = &period
	return true
}

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
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding object: %T", obj))
	}
	if name != binding.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
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
	err := r.assign(ctx, binding.Name, binding.UID, binding.Target.Name, options.DryRun)
	if err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201}, nil
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

// evictionREST is pods/eviction: a delete that honours disruption budgets.
// fakecluster serves no PodDisruptionBudgets, so every eviction is allowed.
type evictionREST struct{ pods *genericregistry.Store }

var (
	_ rest.NamedCreater             = (*evictionREST)(nil)
	_ rest.GroupVersionKindProvider = (*evictionREST)(nil)
)

func (r *evictionREST) New() runtime.Object { return &policyv1.Eviction{} }
func (r *evictionREST) Destroy()            {}

// GroupVersionKind says the request body is a policy/v1 Eviction.
func (r *evictionREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return policyv1.SchemeGroupVersion.WithKind("Eviction")
}

func (r *evictionREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	eviction, ok := obj.(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Eviction object: %T", obj))
	}
	if name != eviction.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	if createValidation != nil {
		if err := createValidation(ctx, eviction.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	deleteOptions := eviction.DeleteOptions
	if deleteOptions == nil {
		deleteOptions = &metav1.DeleteOptions{}
	}
	if len(options.DryRun) > 0 {
		deleteOptions.DryRun = options.DryRun
	}
	if _, _, err := r.pods.Delete(ctx, eviction.Name, rest.ValidateAllObjectFunc, deleteOptions); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201}, nil
}

// ephemeralContainersStrategy is pods/ephemeralcontainers (kubectl debug):
// an update that may only add ephemeral containers.
type ephemeralContainersStrategy struct{ rest.RESTUpdateStrategy }

func ephemeralContainersREST(pods *genericregistry.Store) rest.Storage {
	store := *pods
	store.UpdateStrategy = ephemeralContainersStrategy{pods.UpdateStrategy}
	return &subresourceUpdater{store: &store}
}

func (ephemeralContainersStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	added := pod.Spec.EphemeralContainers
	*pod = *oldPod.DeepCopy()
	pod.Spec.EphemeralContainers = added
}

func (s ephemeralContainersStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	// The pod's update rules hold for the rest of it: they compare it with
	// the old pod as if that had the new ephemeral containers already, and
	// validate those with the rest of the new pod.
	oldWithNew := old.(*corev1.Pod).DeepCopy()
	oldWithNew.Spec.EphemeralContainers = obj.(*corev1.Pod).Spec.EphemeralContainers
	errs := s.RESTUpdateStrategy.ValidateUpdate(ctx, obj, oldWithNew)
	path := field.NewPath("spec", "ephemeralContainers")
	current := map[string]corev1.EphemeralContainer{}
	for _, c := range obj.(*corev1.Pod).Spec.EphemeralContainers {
		current[c.Name] = c
	}
	for _, c := range old.(*corev1.Pod).Spec.EphemeralContainers {
		now, ok := current[c.Name]
		switch {
		case !ok:
			errs = append(errs, field.Forbidden(path, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", c.Name)))
		case !apiequality.Semantic.DeepEqual(c, now):
			errs = append(errs, field.Forbidden(path, fmt.Sprintf("existing ephemeral containers %q may not be changed\n", c.Name)))
		}
	}
	return errs
}

// subresourceUpdater serves an update-only subresource over a store copy
// whose strategy limits what the update may change.
type subresourceUpdater struct{ store *genericregistry.Store }

var _ rest.Patcher = (*subresourceUpdater)(nil)

func (r *subresourceUpdater) New() runtime.Object { return r.store.New() }
func (r *subresourceUpdater) Destroy()            {}
func (r *subresourceUpdater) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}
func (r *subresourceUpdater) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// notReadyTolerationSeconds is how long a pod stays bound to a node that is
// not ready or unreachable, as kube-apiserver's DefaultTolerationSeconds
// admission sets it.
const notReadyTolerationSeconds = 300

// preparePodForCreate does what kube-apiserver's pod strategy and its
// default admission plugins DefaultTolerationSeconds and Priority do to
// every new pod: status starts Pending, the pod tolerates a not-ready or
// unreachable node for five minutes, and has the default priority. The
// ServiceAccount admission (pkg/apiserver/serviceaccount), which runs
// before, has given it its service account and token volume.
func preparePodForCreate(_ context.Context, obj runtime.Object) {
	p := obj.(*corev1.Pod)
	p.Generation = 1
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qos.ComputePodQOS(p)}
	if p.Spec.TerminationGracePeriodSeconds != nil && *p.Spec.TerminationGracePeriodSeconds < 0 {
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !toleratesNoExecute(p.Spec.Tolerations, key) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To[int64](notReadyTolerationSeconds),
			})
		}
	}
	if p.Spec.Priority == nil {
		p.Spec.Priority = ptr.To[int32](0)
	}
	if p.Spec.PreemptionPolicy == nil {
		p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	}
}

// toleratesNoExecute reports whether tolerations already cover the
// NoExecute taint key.
func toleratesNoExecute(tolerations []corev1.Toleration, key string) bool {
	for _, t := range tolerations {
		if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
			return true
		}
	}
	return false
}
