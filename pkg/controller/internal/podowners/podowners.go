// Package podowners routes pod events to the objects that control pods
// through a controllerRef and are synced by key, as kube-controller-manager's
// ReplicaSet and DaemonSet controllers both do: a new pod satisfies its
// owner's creation expectation, a pod deleted or being deleted its deletion
// expectation, a pod whose controllerRef changes syncs the old owner and the
// new, a pod that becomes ready syncs its owner again once minReadySeconds
// have passed, and an orphan syncs every owner whose selector matches it,
// which may adopt it. It is not the adoption itself (ownership) nor the
// expectations' bookkeeping (expectations).
package podowners

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/kubectl/pkg/util/podutils"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
)

// Owners are the objects of one kind that own pods, as read from a
// controller's informer cache.
type Owners[T metav1.Object] struct {
	// Kind is the owners' kind, which a controllerRef must name.
	Kind schema.GroupVersionKind
	// Get reads an owner from the cache; List a namespace's owners.
	Get  func(namespace, name string) (T, error)
	List func(namespace string) ([]T, error)
	// Selector is an owner's pod selector; MinReadySeconds how long its
	// pods must be ready to count as available.
	Selector        func(T) *metav1.LabelSelector
	MinReadySeconds func(T) int32
	Expectations    *expectations.Expectations
	// Queue takes the owners' keys; it is read at each event, so it may be
	// set after the handlers are made.
	Queue func() workqueue.TypedRateLimitingInterface[string]
}

// Owner is the cached owner obj's controllerRef names, if it is one of
// these and still has the UID the reference holds.
func (o *Owners[T]) Owner(obj metav1.Object) (T, bool) {
	var none T
	ref := metav1.GetControllerOfNoCopy(obj)
	if ref == nil || ref.Kind != o.Kind.Kind || ref.APIVersion != o.Kind.GroupVersion().String() {
		return none, false
	}
	owner, err := o.Get(obj.GetNamespace(), ref.Name)
	if err != nil || owner.GetUID() != ref.UID {
		return none, false
	}
	return owner, true
}

// Selecting are the owners whose non-empty selector matches obj's labels.
func (o *Owners[T]) Selecting(obj metav1.Object) []T {
	all, err := o.List(obj.GetNamespace())
	if err != nil {
		return nil
	}
	var out []T
	for _, owner := range all {
		sel, err := metav1.LabelSelectorAsSelector(o.Selector(owner))
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(obj.GetLabels())) {
			out = append(out, owner)
		}
	}
	return out
}

// EnqueueOwner syncs the owner that controls obj, or, if obj has no
// controller, those that select it.
func (o *Owners[T]) EnqueueOwner(obj metav1.Object) {
	if owner, ok := o.Owner(obj); ok {
		o.enqueue(owner)
		return
	}
	if metav1.GetControllerOfNoCopy(obj) == nil {
		for _, owner := range o.Selecting(obj) {
			o.enqueue(owner)
		}
	}
}

// PodHandlers are the pod informer's handlers.
func (o *Owners[T]) PodHandlers() coreinformers.PodHandlerFuncs {
	return coreinformers.PodHandlerFuncs{
		AddFunc:    o.addPod,
		UpdateFunc: o.updatePod,
		DeleteFunc: func(d cache.DeletedObject[*corev1.Pod]) {
			if d.OptionalObj != nil {
				o.podGone(d.OptionalObj)
			}
		},
	}
}

func (o *Owners[T]) enqueue(owner T) {
	if key, err := cache.MetaNamespaceKeyFunc(owner); err == nil {
		o.Queue().Add(key)
	}
}

func (o *Owners[T]) addPod(pod *corev1.Pod) {
	if pod.DeletionTimestamp != nil {
		// A restarted controller sees a pod already being deleted.
		o.podGone(pod)
		return
	}
	if owner, ok := o.Owner(pod); ok {
		key, _ := cache.MetaNamespaceKeyFunc(owner)
		o.Expectations.Created(key)
		o.Queue().Add(key)
		return
	}
	o.EnqueueOwner(pod)
}

func (o *Owners[T]) updatePod(old, pod *corev1.Pod) {
	if old.ResourceVersion == pod.ResourceVersion {
		return
	}
	if pod.DeletionTimestamp != nil && old.DeletionTimestamp == nil {
		o.podGone(pod)
	}
	oldRef, ref := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(pod)
	if oldRef != nil && (ref == nil || oldRef.UID != ref.UID) {
		if owner, ok := o.Owner(old); ok {
			o.enqueue(owner)
		}
	}
	if owner, ok := o.Owner(pod); ok {
		o.enqueue(owner)
		// A pod that just became ready is available minReadySeconds later.
		if minReady := o.MinReadySeconds(owner); minReady > 0 && !podutils.IsPodReady(old) && podutils.IsPodReady(pod) {
			key, _ := cache.MetaNamespaceKeyFunc(owner)
			o.Queue().AddAfter(key, time.Duration(minReady)*time.Second+time.Second)
		}
		return
	}
	if ref == nil {
		o.EnqueueOwner(pod)
	}
}

// podGone records that a pod is deleted or being deleted.
func (o *Owners[T]) podGone(pod *corev1.Pod) {
	owner, ok := o.Owner(pod)
	if !ok {
		return
	}
	key, _ := cache.MetaNamespaceKeyFunc(owner)
	podKey, _ := cache.MetaNamespaceKeyFunc(pod)
	o.Expectations.Deleted(key, podKey)
	o.Queue().Add(key)
}
